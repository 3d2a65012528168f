// Signed reports: report.sig.json lists the SHA-256 of every file of a run's output directory
// and signs that list, so that any edit, removal or addition is detected (docs/reports.md).
//
// What is signed (the "canonical bytes"), UTF-8:
//   "otasim-report-signature/1\n"
//   then for every file, sorted by path byte-wise: "<sha256 hex>  <path>\n"
// where path is relative to the output directory with '/' separators — the same lines
// `sha256sum` prints. Every regular file under the directory is listed except
// report.sig.json itself.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "otasim/crypto.hpp"
#include "otasim/result.hpp"

namespace otasim::report {

inline constexpr const char* kSignatureFile = "report.sig.json";
inline constexpr const char* kSignatureFormat = "otasim-report-signature/1";

using FileHashes = std::map<std::string, std::string>;  // relative path -> sha256 hex

// Every file under dir except the signature. Entries that are not regular files (symlinks,
// sockets, ...) are not hashed; their paths go to `irregular`.
Result<FileHashes> HashOutputFiles(const std::filesystem::path& dir,
                                   std::vector<std::string>* irregular);

std::string CanonicalSignedBytes(const FileHashes& files);

// Writes dir/report.sig.json. Refuses a directory holding anything but regular files and
// directories, or a path the canonical form cannot carry (a line break).
Status SignOutputDir(const std::filesystem::path& dir, const crypto::PrivateKey& key);

struct VerifyOutcome {
  std::string keyid;          // the signer's key id, as the signature file states it
  bool key_pinned = false;    // verified against a key the caller trusts
  bool signature_ok = false;  // the signature verifies over the listed files
  std::vector<std::string> modified, missing, extra;  // relative paths
  std::vector<std::string> problems;  // anything else that makes the report untrustworthy

  bool intact() const {
    return signature_ok && modified.empty() && missing.empty() && extra.empty() && problems.empty();
  }
};

// Checks dir against its report.sig.json. `trusted` (may be null) is the only key accepted;
// without it the public key carried in the file is used, which shows integrity but not who
// signed. An error only when dir itself cannot be read; everything wrong with its content is
// in the outcome.
Result<VerifyOutcome> VerifyOutputDir(const std::filesystem::path& dir,
                                      const crypto::PublicKey* trusted);

}  // namespace otasim::report
