// Writes the stand-in files of the real data sets (tests/real_data_fixture.h) under a root, for
// the CLI test cli_real_data.sh: make_real_fixture ROOT, then DF_DATA_DIR=ROOT diffflow ...
#include <cstdio>

#include "real_data_fixture.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_real_fixture ROOT\n");
    return 2;
  }
  df_fixture::write_real_data_fixture(argv[1]);
  return 0;
}
