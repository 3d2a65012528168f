#define BOOST_TEST_MODULE timeline
#include <boost/test/unit_test.hpp>

#include <thread>

#include "otasim/session.hpp"

BOOST_AUTO_TEST_SUITE(timeline_tests)

BOOST_AUTO_TEST_CASE(records_entries_in_order) {
  otasim::Timeline timeline;
  timeline.Start();
  timeline.Add("harness", "step", {{"index", 1}});
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  timeline.Add("device", "check");
  const auto snapshot = timeline.Snapshot();
  BOOST_REQUIRE(snapshot.is_array());
  BOOST_REQUIRE(snapshot.size() == 2u);
  BOOST_TEST(snapshot[0]["source"] == "harness");
  BOOST_TEST(snapshot[0]["event"] == "step");
  BOOST_TEST(snapshot[0]["details"]["index"] == 1);
  BOOST_TEST(snapshot[1]["details"].is_object());
  const auto t0 = snapshot[0]["t_ms"].get<std::int64_t>();
  const auto t1 = snapshot[1]["t_ms"].get<std::int64_t>();
  BOOST_TEST(t0 >= 0);
  BOOST_TEST(t0 < 1000);
  BOOST_TEST(t1 - t0 >= 30);
}

BOOST_AUTO_TEST_CASE(start_resets_origin) {
  otasim::Timeline timeline;
  timeline.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  timeline.Start();
  timeline.Add("harness", "after-reset");
  BOOST_TEST(timeline.Snapshot()[0]["t_ms"].get<std::int64_t>() < 50);
}

BOOST_AUTO_TEST_CASE(concurrent_adds_are_all_kept) {
  otasim::Timeline timeline;
  timeline.Start();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&timeline, t] {
      for (int i = 0; i < 500; ++i) timeline.Add("server", "e", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  const auto snapshot = timeline.Snapshot();
  BOOST_TEST(snapshot.size() == 2000u);
  std::int64_t last = 0;
  for (const auto& entry : snapshot) {  // entries are appended in time order
    BOOST_TEST(entry["t_ms"].get<std::int64_t>() >= last);
    last = entry["t_ms"].get<std::int64_t>();
  }
}

BOOST_AUTO_TEST_SUITE_END()
