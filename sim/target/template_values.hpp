// The values a profile's templates can name: {bin_dir}, {profile_dir} and the profile's
// parameters for every adapter; for the template adapter also the session's files, the
// device configuration's facts ({now}, {timeout_s}, {endpoint.base_url}, ...) and what the
// adapter observed ({installed_version}).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "otasim/params.hpp"
#include "otasim/session.hpp"
#include "target/profile.hpp"

namespace otasim::target {

using TemplateMap = std::map<std::string, std::string>;

// bin_dir, profile_dir and every bound parameter (lists joined with commas).
TemplateMap TemplateValues(const TargetProfile& profile, const Params& params,
                           const std::filesystem::path& bin_dir);

// The session's directories, known before the server starts (release format parameters can
// name them): state_dir, scratch_dir, config_file.
TemplateMap SessionDirValues(const std::filesystem::path& state_dir,
                             const std::filesystem::path& scratch_dir,
                             const std::filesystem::path& config_file);

// What the device configuration says: device_id, protocol, ca_file, client_cert, client_key,
// trust_anchor, initial_image, initial_manifest, initial_version, initial_sequence, now,
// timeout_s (limits.timeout_ms / 1000, at least 1) and endpoint.KEY for every string or
// number of the session's endpoint block.
TemplateMap ConfigValues(const nlohmann::json& config,
                         const std::map<std::string, Release>& releases);

// Whether a template of `profile` may name `name`: the names above, installed_version,
// installed_sequence, any endpoint.KEY, and the profile's parameters.
bool IsKnownPlaceholder(const std::string& name, const TargetProfile& profile);

}  // namespace otasim::target
