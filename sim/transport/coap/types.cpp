#include <cstdio>

#include "coap_types.hpp"

namespace otasim::coap {

std::string CodeName(int code) {
  char text[16];
  std::snprintf(text, sizeof text, "%d.%02d", code / 100, code % 100);
  return text;
}

BlockReader SourceBlockReader(std::function<Result<ByteSourcePtr>(std::uint64_t offset)> open) {
  return [open = std::move(open)](std::uint64_t offset,
                                  std::span<std::uint8_t> out) -> Result<std::size_t> {
    OTASIM_TRY(ByteSourcePtr source, open(offset));
    // A source may return less than asked before its end: fill the block.
    std::size_t filled = 0;
    while (filled < out.size()) {
      OTASIM_TRY(std::size_t n, source->Read(out.subspan(filled)));
      if (n == 0) break;
      filled += n;
    }
    return filled;
  };
}

BlockReader FileBlockReader(std::filesystem::path path) {
  BlockReader read = SourceBlockReader([path](std::uint64_t offset) {
    return OpenFileSource(path, offset);
  });
  return [path, read](std::uint64_t offset, std::span<std::uint8_t> out) -> Result<std::size_t> {
    // OpenFileSource refuses an offset past the end; for a block reader that is just the end.
    std::error_code error;
    std::uint64_t size = std::filesystem::file_size(path, error);
    if (error) return MakeError(Errc::kIo, path.string() + ": " + error.message());
    if (offset >= size) return std::size_t{0};
    return read(offset, out);
  };
}

Response Response::Text(int code, std::string text) {
  Response response;
  response.code = code;
  response.content_format = 0;
  response.payload = std::move(text);
  return response;
}

Response Response::Drop() {
  Response response;
  response.drop = true;
  return response;
}

}  // namespace otasim::coap
