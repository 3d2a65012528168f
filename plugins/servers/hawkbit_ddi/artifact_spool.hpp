// The artifact hashes a deployment description must carry (SWUpdate compares the SHA-1 of what
// it downloaded with hashes.sha1 and reports a mismatch as a failed update) are those of the
// file as it will be served, attackers included. So the first delivery of an action is read
// once when the description is built: hashed and written to a spool file (bounded memory), and
// the first download is then served from the spool with that delivery's cut, trickle or length
// lie. Attacker hooks therefore run once per download, as they do on the other protocols.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "otasim/byte_source.hpp"
#include "otasim/result.hpp"

namespace otasim::servers::hawkbit_ddi {

struct SpooledArtifact {
  std::filesystem::path path;  // the first `spooled` body bytes
  std::uint64_t spooled = 0;
  std::string sha1, md5, sha256;  // lower-case hex of those bytes
  ByteSourcePtr rest;  // what the body had left after them (endless data goes on here)
};

// Reads at most `limit` bytes of `body` into `path`, hashing them; a body that ends earlier
// is hashed whole. Fails with kIo naming the file.
Result<SpooledArtifact> SpoolArtifact(ByteSourcePtr body, std::uint64_t limit,
                                      const std::filesystem::path& path);

// The spooled bytes from `offset` (at most `spooled`) on, then the rest of the body; the rest
// is moved out, so a spool replays once.
Result<ByteSourcePtr> ReplaySpool(SpooledArtifact& spool, std::uint64_t offset);

}  // namespace otasim::servers::hawkbit_ddi
