// Tests for host/run_limits: a limit's bounds (open, closed, whole numbers, non-finite values),
// its printed range, and that the table of ranges in docs/user-guide.md ("Limits") is the code's,
// row for row, so the documented limits cannot drift from the checked ones.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "host/run_limits.h"

using namespace df;

TEST_CASE("a limit's bounds and its printed range", "[limits]") {
  CHECK(limits::batch.contains(1));
  CHECK_FALSE(limits::batch.contains(0));
  CHECK_FALSE(limits::batch.contains(1.5));  // whole numbers only
  CHECK(limits::ema.contains(0));
  CHECK_FALSE(limits::ema.contains(1));  // open above
  CHECK_FALSE(limits::lr.contains(0));   // open below
  CHECK(limits::lr.contains(10));
  CHECK_FALSE(limits::clip.contains(NAN));
  CHECK_FALSE(limits::t_end.contains(INFINITY));
  CHECK(limits::ema.range() == "[0, 1)");
  CHECK(limits::lr.range() == "(0, 10]");
  CHECK(limits::save_every.range() == "[1, 100000000]");
}

TEST_CASE("the user guide's table of limits is the code's", "[limits][docs]") {
  const char* root = std::getenv("DF_SOURCE_DIR");  // set by ctest (tests/CMakeLists.txt)
  if (root == nullptr) root = ".";
  std::ifstream in(std::string(root) + "/docs/user-guide.md");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string guide = ss.str();
  struct Row {
    const Limit* limit;
    bool flag, key;  // whether the table names its flag / its checkpoint key
    const char* key_name;
  };
  const Row rows[] = {
      {&limits::iters, true, true, nullptr},       {&limits::batch, true, true, nullptr},
      {&limits::steps, true, true, nullptr},       {&limits::width, true, true, nullptr},
      {&limits::layers, true, true, nullptr},      {&limits::dim, false, true, nullptr},
      {&limits::lr, true, false, nullptr},         {&limits::lr_drift, true, true, nullptr},
      {&limits::lr_score, true, true, nullptr},    {&limits::seed, true, true, nullptr},
      {&limits::beta_min, true, true, nullptr},    {&limits::beta_max, true, true, nullptr},
      {&limits::ddpm_t_min, false, true, nullptr}, {&limits::t_start, true, true, nullptr},
      {&limits::t_end, true, true, nullptr},       {&limits::grid_p, true, true, nullptr},
      {&limits::g, true, true, "g_g"},             {&limits::adjoint_k, true, true, nullptr},
      {&limits::clip, true, true, nullptr},        {&limits::ema, true, true, nullptr},
      {&limits::decay_every, true, true, nullptr}, {&limits::decay_rate, true, true, nullptr},
      {&limits::save_every, true, true, nullptr},  {&limits::diverge, true, true, nullptr},
      {&limits::samples, true, false, nullptr},   {&limits::valid, true, false, nullptr},
      {&limits::patience, true, false, nullptr},  {&limits::budget_seconds, true, false, nullptr},
      {&limits::std_logit, false, true, nullptr}};
  for (const Row& r : rows) {
    const std::string flag = r.flag ? std::string("`--") + r.limit->flag + "`" : "—";
    const std::string key = r.key ? std::string("`") + (r.key_name ? r.key_name : r.limit->key) + "`" : "—";
    const std::string row = "| " + flag + " | " + key + " | " + r.limit->range();
    INFO(row);
    const std::size_t at = guide.find("\n" + row);
    REQUIRE(at != std::string::npos);
    const char next = guide[at + 1 + row.size()];  // the range ends there: " |", ", above ...", " (2^63 - 1)"
    CHECK((next == ' ' || next == ','));
  }
}
