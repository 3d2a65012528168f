#include "report/signing.hpp"

#include <algorithm>
#include <system_error>

#include <nlohmann/json.hpp>

#include "otasim/files.hpp"

namespace otasim::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool IsSha256Hex(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The signature file's own fields, checked; problems go to the outcome.
struct SignatureFile {
  std::string keyid;
  std::string public_key_pem;
  FileHashes files;
  crypto::Bytes signature;
};

Result<SignatureFile> ParseSignatureFile(const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return MakeError(Errc::kParse, "not a JSON object");
  auto string_field = [&](const char* name) -> Result<std::string> {
    if (!j.contains(name) || !j.at(name).is_string()) {
      return MakeError(Errc::kParse, std::string("field `") + name + "` is missing or not a string");
    }
    return j.at(name).get<std::string>();
  };
  OTASIM_TRY(std::string format, string_field("format"));
  if (format != kSignatureFormat) {
    return MakeError(Errc::kParse, "format '" + format + "' is not " + kSignatureFormat);
  }
  SignatureFile file;
  OTASIM_TRY(file.keyid, string_field("keyid"));
  OTASIM_TRY(std::string alg, string_field("alg"));
  OTASIM_TRY(file.public_key_pem, string_field("public_key"));
  OTASIM_TRY(std::string signature, string_field("signature"));
  OTASIM_TRY(file.signature, crypto::Base64Decode(signature));
  if (!j.contains("files") || !j.at("files").is_object()) {
    return MakeError(Errc::kParse, "field `files` is missing or not an object");
  }
  for (const auto& [path, hash] : j.at("files").items()) {
    if (!hash.is_string() || !IsSha256Hex(hash.get<std::string>())) {
      return MakeError(Errc::kParse, "files['" + path + "'] is not a SHA-256 hex digest");
    }
    file.files[path] = hash.get<std::string>();
  }
  OTASIM_TRY(crypto::KeyAlg parsed_alg, crypto::ParseKeyAlg(alg));
  auto key = crypto::PublicKey::FromPem(file.public_key_pem);
  if (!key) return MakeError(Errc::kParse, "public_key: " + key.error().message());
  if (key->alg() != parsed_alg || key->KeyId() != file.keyid) {
    return MakeError(Errc::kParse, "public_key does not match keyid and alg");
  }
  return file;
}

}  // namespace

Result<FileHashes> HashOutputFiles(const fs::path& dir, std::vector<std::string>* irregular) {
  FileHashes files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) return MakeError(Errc::kIo, "listing " + dir.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return MakeError(Errc::kIo, "listing " + dir.string() + ": " + ec.message());
    const fs::file_status status = it->symlink_status(ec);
    if (ec) return MakeError(Errc::kIo, "reading " + it->path().string() + ": " + ec.message());
    const std::string relative = it->path().lexically_relative(dir).generic_string();
    if (fs::is_directory(status)) continue;
    if (!fs::is_regular_file(status)) {
      if (irregular != nullptr) irregular->push_back(relative);
      continue;
    }
    if (relative == kSignatureFile) continue;
    OTASIM_TRY(files[relative], crypto::Sha256FileHex(it->path()));
  }
  return files;
}

std::string CanonicalSignedBytes(const FileHashes& files) {
  std::string bytes = std::string(kSignatureFormat) + "\n";
  for (const auto& [path, hash] : files) bytes += hash + "  " + path + "\n";
  return bytes;
}

Status SignOutputDir(const fs::path& dir, const crypto::PrivateKey& key) {
  std::vector<std::string> irregular;
  OTASIM_TRY(FileHashes files, HashOutputFiles(dir, &irregular));
  if (!irregular.empty()) {
    return MakeError(Errc::kInvalidArgument, "cannot sign " + dir.string() + ": " + irregular.front() +
                                                 " is not a regular file");
  }
  for (const auto& [path, hash] : files) {
    if (path.find_first_of("\r\n") != std::string::npos) {
      return MakeError(Errc::kInvalidArgument,
                       "cannot sign " + dir.string() + ": a file name holds a line break");
    }
  }
  const crypto::PublicKey public_key = key.Public();
  OTASIM_TRY(crypto::Bytes signature, key.Sign(crypto::AsBytes(CanonicalSignedBytes(files))));
  json listing = json::object();
  for (const auto& [path, hash] : files) listing[path] = hash;
  const json document = {{"format", kSignatureFormat},
                         {"keyid", public_key.KeyId()},
                         {"alg", std::string(crypto::KeyAlgName(key.alg()))},
                         {"public_key", public_key.ToPem()},
                         {"files", std::move(listing)},
                         {"signature", crypto::Base64Encode(signature)}};
  return WriteFileAtomic(dir / kSignatureFile,
                         document.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

Result<VerifyOutcome> VerifyOutputDir(const fs::path& dir, const crypto::PublicKey* trusted) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return MakeError(Errc::kNotFound, dir.string() + " is not a directory");
  }
  VerifyOutcome outcome;
  std::vector<std::string> irregular;
  OTASIM_TRY(FileHashes present, HashOutputFiles(dir, &irregular));
  for (const auto& path : irregular) outcome.extra.push_back(path + " (not a regular file)");

  const fs::path signature_path = dir / kSignatureFile;
  if (!fs::exists(fs::symlink_status(signature_path, ec))) {
    outcome.problems.push_back(std::string(kSignatureFile) + " is missing: the report is not signed");
    return outcome;
  }
  auto text = ReadFile(signature_path);
  if (!text) {
    outcome.problems.push_back(std::string(kSignatureFile) + ": " + text.error().message());
    return outcome;
  }
  auto signed_file = ParseSignatureFile(*text);
  if (!signed_file) {
    outcome.problems.push_back(std::string(kSignatureFile) + ": " + signed_file.error().message());
    return outcome;
  }
  outcome.keyid = signed_file->keyid;

  // Only a pinned key says who signed; the embedded one only shows the files match its signature.
  auto embedded = crypto::PublicKey::FromPem(signed_file->public_key_pem);
  if (!embedded) return embedded.error();  // checked by ParseSignatureFile
  const crypto::PublicKey& verifier = trusted != nullptr ? *trusted : *embedded;
  outcome.key_pinned = trusted != nullptr;
  if (trusted != nullptr && trusted->KeyId() != signed_file->keyid) {
    outcome.problems.push_back("signed by key " + signed_file->keyid + ", not by the trusted key " +
                               trusted->KeyId());
  }
  outcome.signature_ok =
      verifier.Verify(crypto::AsBytes(CanonicalSignedBytes(signed_file->files)),
                      signed_file->signature).ok();
  if (!outcome.signature_ok) {
    outcome.problems.push_back("the signature does not verify over the listed files" +
                               std::string(trusted != nullptr ? " with the trusted key" : ""));
  }

  for (const auto& [path, hash] : signed_file->files) {
    auto found = present.find(path);
    if (found == present.end()) {
      outcome.missing.push_back(path);
    } else if (found->second != hash) {
      outcome.modified.push_back(path);
    }
  }
  for (const auto& [path, hash] : present) {
    if (!signed_file->files.contains(path)) outcome.extra.push_back(path);
  }
  return outcome;
}

}  // namespace otasim::report
