// TOML -> PipelineSpec. The only user of toml++ in Facet.
#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "grounding/formats.hpp"
#include "pipeline/spec.hpp"
#include "util/error.hpp"

namespace facet::pipeline {

namespace fs = std::filesystem;

std::string PipelineSpec::where(const SourcePos& p) const {
  if (p.line == 0) return path;  // pipelines built in code have no positions
  return path + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}

namespace {

class Parser {
 public:
  explicit Parser(PipelineSpec& spec) : spec_(spec) {
    base_dir_ = fs::path(spec.path).parent_path();
  }

  [[noreturn]] void fail(const toml::node& n, const std::string& msg) const { fail(pos(n), msg); }
  [[noreturn]] void fail(const SourcePos& p, const std::string& msg) const {
    throw InputError(spec_.where(p) + ": " + msg);
  }
  static SourcePos pos(const toml::node& n) {
    return {static_cast<uint32_t>(n.source().begin.line), static_cast<uint32_t>(n.source().begin.column)};
  }

  void check_keys(const toml::table& t, std::initializer_list<const char*> allowed, const std::string& where) const {
    for (const auto& [k, v] : t) {
      bool ok = false;
      for (const char* a : allowed) ok |= k.str() == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        fail(v, "unknown key '" + std::string(k.str()) + "' in " + where + " (allowed: " + list + ")");
      }
    }
  }

  std::string get_string(const toml::table& t, const char* key, const std::string& where, bool required) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) fail(pos(t), where + " needs '" + key + "'");
      return "";
    }
    if (!n->is_string()) fail(*n, "'" + std::string(key) + "' in " + where + " must be a string");
    return n->value<std::string>().value();
  }

  // Expands ${NAME} from the environment and makes relative paths relative to the TOML's folder.
  std::string path_value(const toml::node& n, const std::string& raw) const {
    std::string out;
    std::regex var("\\$\\{([A-Za-z_][A-Za-z0-9_]*)\\}");
    auto begin = std::sregex_iterator(raw.begin(), raw.end(), var);
    size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      out += raw.substr(last, it->position() - last);
      const char* v = std::getenv((*it)[1].str().c_str());
      if (!v) fail(n, "environment variable '" + (*it)[1].str() + "' used in '" + raw + "' is not set");
      out += v;
      last = it->position() + it->length();
    }
    out += raw.substr(last);
    if (out.empty()) fail(n, "empty path");
    fs::path p(out);
    return p.is_absolute() ? out : (base_dir_ / p).lexically_normal().string();
  }

  PortRef port_ref(const toml::node& n) const {
    if (!n.is_string()) fail(n, "a port reference must be a string like \"stage.port\" or \"input_id\"");
    PortRef r = pipeline::port_ref(n.value<std::string>().value());
    r.pos = pos(n);
    if (r.stage.empty() || (r.text.find('.') != std::string::npos && r.port.empty()) || r.port.find('.') != std::string::npos)
      fail(n, "malformed port reference '" + r.text + "' (expected \"stage.port\" or \"input_id\")");
    return r;
  }

  void parse(const toml::table& root) {
    check_keys(root, {"schema_version", "runtime", "input", "stage", "output", "chat", "grounding"}, "the pipeline");
    const toml::node* sv = root.get("schema_version");
    if (!sv) fail(SourcePos{1, 1}, "missing 'schema_version' (this facet reads schema_version = " + std::to_string(kSchemaVersion) + ")");
    if (!sv->is_integer()) fail(*sv, "'schema_version' must be an integer");
    spec_.schema_version = sv->value<int64_t>().value();
    if (spec_.schema_version != kSchemaVersion)
      fail(*sv, "schema_version " + std::to_string(spec_.schema_version) + " is not supported (this facet reads " +
                    std::to_string(kSchemaVersion) + ")");
    if (const toml::node* rt = root.get("runtime")) parse_runtime(*rt);
    if (const toml::node* in = root.get("input")) {
      const toml::array* arr = in->as_array();
      if (!arr) fail(*in, "'input' must be an array of tables ([[input]])");
      for (const auto& e : *arr) parse_input(e);
    }
    const toml::node* st = root.get("stage");
    if (!st) fail(SourcePos{1, 1}, "the pipeline has no [[stage]]");
    const toml::array* stages = st->as_array();
    if (!stages) fail(*st, "'stage' must be an array of tables ([[stage]])");
    for (const auto& e : *stages) parse_stage(e);
    if (const toml::node* out = root.get("output")) parse_output(*out);
    if (const toml::node* chat = root.get("chat")) parse_chat(*chat);
    if (const toml::node* g = root.get("grounding")) parse_grounding(*g);
  }

  void parse_grounding(const toml::node& n) {
    const toml::table* t = n.as_table();
    if (!t) fail(n, "[grounding] must be a table");
    check_keys(*t, {"format"}, "[grounding]");
    spec_.grounding.pos = pos(n);
    spec_.grounding.format = get_string(*t, "format", "[grounding]", true);
    try {
      grounding::parse_format(spec_.grounding.format);
    } catch (const InputError& e) {
      fail(*t->get("format"), std::string("[grounding] format: ") + e.what());
    }
  }

  void parse_chat(const toml::node& n) {
    const toml::table* t = n.as_table();
    if (!t) fail(n, "[chat] must be a table");
    check_keys(*t, {"template", "system"}, "[chat]");
    spec_.chat.pos = pos(n);
    spec_.chat.template_name = get_string(*t, "template", "[chat]", false);
    spec_.chat.system = get_string(*t, "system", "[chat]", false);
  }

  void parse_runtime(const toml::node& n) {
    const toml::table* t = n.as_table();
    if (!t) fail(n, "[runtime] must be a table");
    check_keys(*t, {"device", "plugin_paths", "timeout_ms", "profile", "debug", "validation", "memory_limit_mb"}, "[runtime]");
    RuntimeSpec& r = spec_.runtime;
    if (const toml::node* d = t->get("device")) {
      if (d->is_integer()) r.device = std::to_string(d->value<int64_t>().value());
      else if (d->is_string()) r.device = d->value<std::string>().value();
      else fail(*d, "[runtime] device must be an index or a string");
    }
    if (const toml::node* p = t->get("plugin_paths")) {
      const toml::array* arr = p->as_array();
      if (!arr) fail(*p, "[runtime] plugin_paths must be an array of strings");
      for (const auto& e : *arr) {
        if (!e.is_string()) fail(e, "[runtime] plugin_paths must be an array of strings");
        r.plugin_paths.push_back(path_value(e, e.value<std::string>().value()));
      }
    }
    auto get_uint = [&](const char* key, uint64_t max) -> std::optional<uint64_t> {
      const toml::node* v = t->get(key);
      if (!v) return std::nullopt;
      if (!v->is_integer() || v->value<int64_t>().value() < 0 || static_cast<uint64_t>(v->value<int64_t>().value()) > max)
        fail(*v, "[runtime] " + std::string(key) + " must be an integer from 0 to " + std::to_string(max));
      return static_cast<uint64_t>(v->value<int64_t>().value());
    };
    auto get_bool = [&](const char* key, bool& out) {
      if (const toml::node* v = t->get(key)) {
        if (!v->is_boolean()) fail(*v, "[runtime] " + std::string(key) + " must be true or false");
        out = v->value<bool>().value();
      }
    };
    if (auto v = get_uint("timeout_ms", 86400000)) {
      if (*v == 0) fail(*t->get("timeout_ms"), "[runtime] timeout_ms must be positive");
      r.timeout_ms = static_cast<uint32_t>(*v);
    }
    if (auto v = get_uint("memory_limit_mb", 1ull << 30)) r.memory_limit_mb = *v;
    get_bool("profile", r.profile);
    get_bool("debug", r.debug);
    get_bool("validation", r.validation);
  }

  void check_id(const toml::node& n, const std::string& id) {
    static const std::regex ok("[A-Za-z_][A-Za-z0-9_-]*");
    if (!std::regex_match(id, ok)) fail(n, "id '" + id + "' must be letters, digits, '_' or '-' (and not start with a digit)");
    if (!ids_.insert(id).second) fail(n, "duplicate id '" + id + "'");
  }

  void parse_input(const toml::node& n) {
    const toml::table* t = n.as_table();
    if (!t) fail(n, "each [[input]] must be a table");
    check_keys(*t, {"id", "type", "file", "processor", "pad_to_square", "tokenizer"}, "[[input]]");
    InputSpec in;
    in.pos = pos(n);
    in.id = get_string(*t, "id", "[[input]]", true);
    check_id(*t->get("id"), in.id);
    const std::string where = "[[input]] '" + in.id + "'";
    const std::string type = get_string(*t, "type", where, false);
    if (type.empty() || type == "file") in.type = InputType::File;
    else if (type == "image") in.type = InputType::Image;
    else if (type == "tokens") in.type = InputType::Tokens;
    else if (type == "positions") in.type = InputType::Positions;
    else if (type == "instruction") in.type = InputType::Instruction;
    else if (type == "boxes") in.type = InputType::Boxes;
    else fail(*t->get("type"), "unknown input type '" + type + "' (file, image, tokens, positions, instruction, boxes)");
    auto only_for = [&](const char* key, InputType want, const char* type_name) {
      if (t->get(key) && in.type != want) fail(*t->get(key), std::string("'") + key + "' applies to inputs of type " + type_name);
    };
    only_for("file", InputType::File, "file");
    only_for("processor", InputType::Image, "image");
    only_for("pad_to_square", InputType::Image, "image");
    only_for("tokenizer", InputType::Instruction, "instruction");
    if (in.type == InputType::File) {
      get_string(*t, "file", where, true);
      in.file = path_value(*t->get("file"), t->get("file")->value<std::string>().value());
    } else if (in.type == InputType::Image) {
      get_string(*t, "processor", where, true);
      in.processor = path_value(*t->get("processor"), t->get("processor")->value<std::string>().value());
      if (const toml::node* pad = t->get("pad_to_square")) {
        if (!pad->is_boolean()) fail(*pad, "'pad_to_square' in " + where + " must be true or false");
        in.pad_to_square = pad->value<bool>().value();
      }
    } else if (in.type == InputType::Instruction) {
      get_string(*t, "tokenizer", where, true);
      in.tokenizer = path_value(*t->get("tokenizer"), t->get("tokenizer")->value<std::string>().value());
    }
    spec_.inputs.push_back(std::move(in));
  }

  void parse_stage(const toml::node& n) {
    const toml::table* t = n.as_table();
    if (!t) fail(n, "each [[stage]] must be a table");
    check_keys(*t, {"id", "plugin", "component", "weights", "params", "inputs"}, "[[stage]]");
    StageSpec s;
    s.pos = pos(n);
    s.id = get_string(*t, "id", "[[stage]]", true);
    check_id(*t->get("id"), s.id);
    std::string where = "stage '" + s.id + "'";
    s.plugin = get_string(*t, "plugin", where, true);
    s.plugin_pos = pos(*t->get("plugin"));
    s.component = get_string(*t, "component", where, false);
    if (const toml::node* w = t->get("weights")) {
      if (!w->is_string()) fail(*w, "'weights' in " + where + " must be a string");
      s.weights = path_value(*w, w->value<std::string>().value());
      s.weights_pos = pos(*w);
    }
    if (const toml::node* p = t->get("params")) {
      const toml::table* pt = p->as_table();
      if (!pt) fail(*p, "'params' in " + where + " must be a table");
      for (const auto& [k, v] : *pt) {
        ParamSpec ps;
        ps.name = std::string(k.str());
        ps.pos = pos(v);
        if (v.is_integer()) ps.value = v.value<int64_t>().value();
        else if (v.is_floating_point()) ps.value = v.value<double>().value();
        else if (v.is_boolean()) ps.value = v.value<bool>().value();
        else if (v.is_string()) ps.value = v.value<std::string>().value();
        else fail(v, "param '" + ps.name + "' of " + where + " must be an integer, float, boolean or string");
        s.params.push_back(std::move(ps));
      }
    }
    if (const toml::node* in = t->get("inputs")) {
      const toml::table* it = in->as_table();
      if (!it) fail(*in, "'inputs' in " + where + " must be a table of port = \"source\" or [\"source\", ...]");
      s.inputs_pos = pos(*in);
      for (const auto& [k, v] : *it) {
        std::vector<PortRef> refs;
        if (const toml::array* list = v.as_array()) {
          if (list->empty()) fail(v, "port '" + std::string(k.str()) + "' of " + where + " is wired to an empty list");
          for (const auto& e : *list) refs.push_back(port_ref(e));
        } else {
          refs.push_back(port_ref(v));
        }
        s.inputs.emplace_back(std::string(k.str()), std::move(refs));
      }
    } else {
      s.inputs_pos = s.pos;
    }
    spec_.stages.push_back(std::move(s));
  }

  void parse_output(const toml::node& n) {
    const toml::table* t = n.as_table();
    if (!t) fail(n, "[output] must be a table");
    check_keys(*t, {"tensors"}, "[output]");
    spec_.outputs_pos = pos(n);
    const toml::node* ts = t->get("tensors");
    if (!ts || !ts->as_array() || ts->as_array()->empty()) fail(n, "[output] tensors must be a non-empty array of \"stage.port\"");
    for (const auto& e : *ts->as_array()) {
      PortRef r = port_ref(e);
      if (r.port.empty()) fail(e, "output '" + r.text + "' must name a stage port (\"stage.port\")");
      spec_.outputs.push_back(r);
    }
  }

 private:
  PipelineSpec& spec_;
  fs::path base_dir_;
  std::set<std::string> ids_;
};

}  // namespace

PortRef port_ref(const std::string& text) {
  PortRef r;
  r.text = text;
  auto dot = text.find('.');
  r.stage = text.substr(0, dot);
  if (dot != std::string::npos) r.port = text.substr(dot + 1);
  return r;
}

PipelineSpec parse_pipeline_text(const std::string& text, const std::string& path) {
  PipelineSpec spec;
  spec.path = path;
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw InputError(path + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": " + std::string(e.description()));
  }
  Parser(spec).parse(root);
  return spec;
}

PipelineSpec parse_pipeline_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read pipeline file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_pipeline_text(ss.str(), path);
}

}  // namespace facet::pipeline
