// Tests for host/train_log and host/run_summary: log.csv read back by column name, one-line
// errors naming the file (and the line); the moving average, its window, quantiles and the
// learning-rate decay points; the end-of-run summary's numbers, its terminal text and its JSON
// (escaped strings, null for what is undefined), written atomically to DIR/summary.json.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "host/errors.h"
#include "host/io.h"
#include "host/run_summary.h"
#include "host/train_log.h"
#include "tests/png_image.h"

using test_png::TempDir;

namespace {

const char* kLog =
    "iter,loss,grad_norm_f,grad_norm_s,lr_f,lr_s,N,seconds\n"
    "1,3.5,0.1,0.2,0.01,0.01,20,0.05\n"
    "2,3.0,0.3,0.4,0.01,0.01,20,0.10\n"
    "3,2.0,0.5,0.6,0.0095,0.0095,20,0.15\n"
    "4,1.5,0.7,0.8,0.0095,0.0095,20,0.20\n";

// read_train_log(path) must throw one line that contains must_have.
void check_read_error(const std::string& path, const std::string& must_have) {
  try {
    df::read_train_log(path);
    FAIL("no error reading " << path);
  } catch (const df::InputError& e) {
    const std::string msg = e.what();
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.find(must_have) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("train log: read by column names") {
  TempDir t;
  df::atomic_write_file(t / "log.csv", kLog);
  const df::TrainLog log = df::read_train_log(t / "log.csv");
  REQUIRE(log.size() == 4);
  CHECK(log.iter == std::vector<double>{1, 2, 3, 4});
  CHECK(log.loss == std::vector<double>{3.5, 3.0, 2.0, 1.5});
  CHECK(log.grad_s[3] == 0.8);
  CHECK(log.lr_f[2] == 0.0095);
  CHECK(log.seconds[1] == 0.10);
  df::atomic_write_file(t / "swapped.csv", "loss,iter,seconds,lr_s,lr_f,grad_norm_s,grad_norm_f\r\n7,1,0,1,1,2,3\r\n\n");
  const df::TrainLog sw = df::read_train_log(t / "swapped.csv");
  REQUIRE(sw.size() == 1);
  CHECK((sw.iter[0] == 1 && sw.loss[0] == 7 && sw.grad_f[0] == 3 && sw.grad_s[0] == 2));
}

TEST_CASE("train log: one-line errors naming the file and the line") {
  TempDir t;
  check_read_error(t / "missing.csv", "missing.csv");
  df::atomic_write_file(t / "head.csv", "iter,loss\n1,2\n");
  check_read_error(t / "head.csv", "'grad_norm_f'");
  df::atomic_write_file(t / "row.csv", std::string(kLog) + "5,oops,0,0,0,0,20,0\n");
  check_read_error(t / "row.csv", "line 6");
  df::atomic_write_file(t / "short.csv", std::string(kLog) + "5,1.0\n");
  CHECK_THROWS_AS(df::read_train_log(t / "short.csv"), df::InputError);
}

TEST_CASE("curve statistics: window, moving average, quantiles, decay points") {
  CHECK(df::smoothing_window(1500) == 50);
  CHECK(df::smoothing_window(3000) == 100);
  CHECK(df::smoothing_window(10) == 1);
  CHECK(df::smoothing_window(1000000) == 200);
  CHECK(df::moving_average({1, 2, 3, 4, 5}, 2) == std::vector<double>{1, 1.5, 2.5, 3.5, 4.5});
  CHECK(df::moving_average({1, 2, 3, 4, 5}, 1) == std::vector<double>{1, 2, 3, 4, 5});
  CHECK(df::moving_average({4, 2}, 10) == std::vector<double>{4, 3});
  const std::vector<double> v{3, 1, NAN, 2, INFINITY};
  CHECK(df::quantile(v, 0) == 1);
  CHECK(df::quantile(v, 0.5) == 2);
  CHECK(df::quantile(v, 0.25) == 1.5);
  CHECK(df::quantile(v, 1) == 3);
  CHECK(std::isnan(df::quantile({NAN}, 0.5)));
  TempDir t;
  df::atomic_write_file(t / "log.csv", kLog);
  CHECK(df::lr_decay_points(df::read_train_log(t / "log.csv")) == std::vector<double>{2});
  CHECK(df::loss_description("diffflow").find("nats per sample") != std::string::npos);
  CHECK(df::loss_description("ddpm").find("denoising") != std::string::npos);
}

TEST_CASE("run summary: numbers, terminal text, JSON, summary.json") {
  TempDir t;
  df::atomic_write_file(t / "log.csv", kLog);
  const df::TrainLog log = df::read_train_log(t / "log.csv");
  df::RunConfig cfg;
  cfg.model = "diffflow";
  cfg.data = "olympic";
  const std::string dir = t.dir.string();
  const df::RunSummary s = df::summarize_run(log, cfg, 1, 4, 1.5, "cpu", dir, {"checkpoint.bin", "log.csv", "loss.png"});
  CHECK(s.iterations == 4);
  CHECK(s.iterations_run == 3);
  CHECK(s.final_loss == 1.5);
  CHECK(s.window == 1);
  CHECK(s.smoothed_loss == 1.5);
  CHECK(s.files == std::vector<std::string>{"checkpoint.bin", "log.csv", "loss.png", "summary.json"});
  const std::string text = df::summary_text(s);
  CHECK(text.find("3 iterations in 1.5 s (2.0 it/s), 4 in all") != std::string::npos);
  CHECK(text.find("loss 1.5000 at the last iteration, 1.5000 mean of the last 1") != std::string::npos);
  CHECK(text.find(dir + "/{checkpoint.bin, log.csv, loss.png, summary.json}") != std::string::npos);
  const std::string js = df::summary_json(s);
  CHECK(js.find("\"iterations\": 4, \"iterations_this_run\": 3, \"seconds\": 1.5, \"iterations_per_second\": 2,") !=
        std::string::npos);
  CHECK(js.find("\"final_loss\": 1.5, \"smoothed_loss\": 1.5, \"smoothing_window\": 1") != std::string::npos);
  CHECK(js.find("\"files\": [\"checkpoint.bin\", \"log.csv\", \"loss.png\", \"summary.json\"]}") != std::string::npos);
  df::write_summary_json(s);
  CHECK(df::read_file(t / "summary.json") == js);

  // 200 rows: the smoothed value is the mean of the last smoothing_window(200) = 7
  df::TrainLog longer;
  for (int i = 1; i <= 200; ++i) longer.iter.push_back(i), longer.loss.push_back(i);
  const df::RunSummary l = df::summarize_run(longer, cfg, 0, 200, 2.0, "cpu", dir, {});
  CHECK(l.window == 7);
  CHECK(l.smoothed_loss == Approx(197));
  CHECK(df::summary_text(l).find(", 200 in all") == std::string::npos);  // a fresh run

  // nothing trained, an awkward directory name: escaped strings, null rate and losses
  df::RunSummary odd = df::summarize_run(df::TrainLog(), cfg, 4, 4, 0.0, "cpu", "a \"b\"\\c\n", {});
  const std::string oj = df::summary_json(odd);
  CHECK(oj.find("\"dir\": \"a \\\"b\\\"\\\\c\\u000a\"") != std::string::npos);
  CHECK(oj.find("\"iterations_per_second\": null, \"final_loss\": null, \"smoothed_loss\": null") != std::string::npos);
  CHECK(df::summary_text(odd).find("it/s") == std::string::npos);
  odd.dir = dir + "/no/such/dir";
  CHECK_THROWS_AS(df::write_summary_json(odd), df::InputError);
  CHECK(!std::filesystem::exists(dir + "/no"));
}
