// CSV files as benchmark folders publish them (RFC 4180: comma separated, fields optionally in
// double quotes with "" for a quote, CRLF or LF line ends, a UTF-8 byte-order mark ignored).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace facet::io {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each row has header.size() fields
  std::vector<size_t> lines;                   // the line each row starts on (1-based), for errors

  // Index of a header column (exact, or ignoring case and surrounding spaces); throws InputError
  // naming `where` and the missing column.
  size_t column(const std::string& name, const std::string& where) const;
};

// Throws InputError naming `where` and the line for unterminated quotes or a row whose field
// count differs from the header's. Empty lines are skipped.
CsvTable parse_csv(std::string_view text, const std::string& where);
CsvTable read_csv(const std::string& path);

// One field quoted when needed, for writing.
std::string csv_field(const std::string& s);

}  // namespace facet::io
