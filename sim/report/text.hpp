// Text hygiene for reports: device output and attacker data end up in them, so strings may
// hold invalid UTF-8 or control characters that would make JSON or XML unreadable.
#pragma once

#include <string>
#include <string_view>

namespace otasim::report {

// Replaces every byte that is not part of a well-formed UTF-8 sequence with U+FFFD.
std::string ToValidUtf8(std::string_view text);

// Escapes for XML 1.0 character data (text between tags). Characters XML 1.0 cannot carry at
// all (controls other than tab, newline and carriage return; U+FFFE, U+FFFF) are written
// visibly as "\xNN" / "\uFFFE"; invalid UTF-8 becomes U+FFFD.
std::string XmlEscapeText(std::string_view text);

// As XmlEscapeText, and also escapes quotes and writes tab, newline and carriage return as
// character references so that attribute-value normalisation keeps them.
std::string XmlEscapeAttribute(std::string_view text);

}  // namespace otasim::report
