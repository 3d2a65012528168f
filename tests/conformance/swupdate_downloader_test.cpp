// SWUpdate 2022.12 in downloader mode, the standard suite against targets/profiles/swupdate-downloader.yaml:
// otasim's findings must be exactly those of swupdate-downloader.expected.yaml.
#define BOOST_TEST_MODULE swupdate_downloader
#include <filesystem>

#include "conformance/expected_findings.hpp"

BOOST_AUTO_TEST_CASE(findings_match_the_expected_failures_file) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/swupdate"),
                        "swupdate is not installed (scripts/setup installs it)");
  otasim::testing::CheckProfileFindings("swupdate-downloader", {});
}
