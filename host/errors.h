// The project's error types (defined once, in kernels/math/errors.h, the bottom layer); host code
// includes them from here.
#pragma once
#include "kernels/math/errors.h"
