// Small file helpers with errors as values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "otasim/result.hpp"

namespace otasim {

inline constexpr auto kPermsPublic = std::filesystem::perms::owner_read |
                                     std::filesystem::perms::owner_write |
                                     std::filesystem::perms::group_read |
                                     std::filesystem::perms::others_read;
inline constexpr auto kPermsPrivate =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

// Writes through a temporary file and rename, so readers never see half a file.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view contents,
                       std::filesystem::perms perms = kPermsPublic);
// Refuses files larger than max_bytes (kInvalidArgument) so hostile input can't exhaust memory.
Result<std::string> ReadFile(const std::filesystem::path& path,
                             std::uint64_t max_bytes = 16u << 20);

}  // namespace otasim
