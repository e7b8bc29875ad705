#include "io/csv.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "util/error.hpp"

namespace facet::io {

namespace {

std::string trimmed_lower(std::string s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

size_t CsvTable::column(const std::string& name, const std::string& where) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  for (size_t i = 0; i < header.size(); ++i)
    if (trimmed_lower(header[i]) == trimmed_lower(name)) return i;
  throw InputError(where + " has no column '" + name + "'");
}

CsvTable parse_csv(std::string_view text, const std::string& where) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  CsvTable table;
  std::vector<std::string> row;
  std::string field;
  size_t line = 1, row_line = 1;
  bool quoted = false, field_started = false, any = false;
  auto end_field = [&]() {
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&]() {
    end_field();
    bool empty = row.size() == 1 && row[0].empty() && !any;
    if (!empty) {
      if (table.header.empty()) {
        table.header = std::move(row);
      } else {
        if (row.size() != table.header.size())
          throw InputError(where + ":" + std::to_string(row_line) + ": " + std::to_string(row.size()) +
                           " fields, the header has " + std::to_string(table.header.size()));
        table.rows.push_back(std::move(row));
        table.lines.push_back(row_line);
      }
    }
    row.clear();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = field_started = any = true;
    } else if (c == ',') {
      end_field();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
      row_line = ++line;
    } else {
      field.push_back(c);
      field_started = any = true;
    }
  }
  if (quoted) throw InputError(where + ":" + std::to_string(row_line) + ": unterminated quoted field");
  if (any || !field.empty() || !row.empty()) end_row();
  if (table.header.empty()) throw InputError(where + " is empty");
  return table;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError("cannot read '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_csv(ss.str(), path);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else out.push_back(c);
  }
  return out + "\"";
}

}  // namespace facet::io
