// JSON text for the files the project writes by hand (summary.json, compare.json): a string
// literal with its escapes (quote, backslash, control characters as \u00XX; other bytes, UTF-8
// included, as they are) and a number, with null for a value that is not finite.
#pragma once
#include <string>

namespace df {

std::string json_string(const std::string& s);
std::string json_number(double v);  // format_double (host/io.h), "null" when not finite

}  // namespace df
