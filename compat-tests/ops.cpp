#include "ops.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lmdb.h"

namespace compat {

namespace {
const char *const kKindNames[] = {
    "env_reopen", "txn_begin",   "txn_commit",   "txn_abort",    "txn_reset",  "txn_renew",  "txn_id",
    "dbi_open",   "dbi_close",   "dbi_flags",    "stat",         "env_stat",   "env_info",   "drop",
    "get",        "put",         "del",          "cursor_open",  "cursor_close", "cursor_renew",
    "cursor_get", "cursor_put",  "cursor_del",   "cursor_count", "full_check", "env_set_mapsize"};
static_assert(sizeof(kKindNames) / sizeof(kKindNames[0]) == static_cast<size_t>(OpKind::Count_));

const char *const kCursorOps[] = {
    "MDB_FIRST",     "MDB_FIRST_DUP",     "MDB_GET_BOTH",  "MDB_GET_BOTH_RANGE", "MDB_GET_CURRENT",
    "MDB_GET_MULTIPLE", "MDB_LAST",       "MDB_LAST_DUP",  "MDB_NEXT",           "MDB_NEXT_DUP",
    "MDB_NEXT_MULTIPLE", "MDB_NEXT_NODUP", "MDB_PREV",     "MDB_PREV_DUP",       "MDB_PREV_NODUP",
    "MDB_SET",       "MDB_SET_KEY",       "MDB_SET_RANGE", "MDB_PREV_MULTIPLE"};
}  // namespace

const char *kind_name(OpKind k) {
  auto i = static_cast<size_t>(k);
  return i < static_cast<size_t>(OpKind::Count_) ? kKindNames[i] : "?";
}

const char *cursor_op_name(unsigned op) {
  return op < sizeof(kCursorOps) / sizeof(kCursorOps[0]) ? kCursorOps[op] : "MDB_?";
}

std::string rc_name(int rc) {
  switch (rc) {
    case 0: return "0";
    case MDB_KEYEXIST: return "MDB_KEYEXIST";
    case MDB_NOTFOUND: return "MDB_NOTFOUND";
    case MDB_PAGE_NOTFOUND: return "MDB_PAGE_NOTFOUND";
    case MDB_CORRUPTED: return "MDB_CORRUPTED";
    case MDB_PANIC: return "MDB_PANIC";
    case MDB_VERSION_MISMATCH: return "MDB_VERSION_MISMATCH";
    case MDB_INVALID: return "MDB_INVALID";
    case MDB_MAP_FULL: return "MDB_MAP_FULL";
    case MDB_DBS_FULL: return "MDB_DBS_FULL";
    case MDB_READERS_FULL: return "MDB_READERS_FULL";
    case MDB_TLS_FULL: return "MDB_TLS_FULL";
    case MDB_TXN_FULL: return "MDB_TXN_FULL";
    case MDB_CURSOR_FULL: return "MDB_CURSOR_FULL";
    case MDB_PAGE_FULL: return "MDB_PAGE_FULL";
    case MDB_MAP_RESIZED: return "MDB_MAP_RESIZED";
    case MDB_INCOMPATIBLE: return "MDB_INCOMPATIBLE";
    case MDB_BAD_RSLOT: return "MDB_BAD_RSLOT";
    case MDB_BAD_TXN: return "MDB_BAD_TXN";
    case MDB_BAD_VALSIZE: return "MDB_BAD_VALSIZE";
    case MDB_BAD_DBI: return "MDB_BAD_DBI";
    default: {
      const char *e = strerrorname_np(rc);
      return std::to_string(rc) + (e ? std::string("(") + e + ")" : std::string());
    }
  }
}

std::string put_flags_name(unsigned flags) {
  static const struct { unsigned bit; const char *name; } kBits[] = {
      {MDB_NOOVERWRITE, "NOOVERWRITE"}, {MDB_NODUPDATA, "NODUPDATA"}, {MDB_CURRENT, "CURRENT"},
      {MDB_RESERVE, "RESERVE"},         {MDB_APPEND, "APPEND"},       {MDB_APPENDDUP, "APPENDDUP"},
      {MDB_MULTIPLE, "MULTIPLE"}};
  std::string s;
  for (auto &b : kBits)
    if (flags & b.bit) s += (s.empty() ? "" : "|") + std::string(b.name);
  return s.empty() ? "0" : s;
}

std::string format_op(const Op &op) {
  std::ostringstream o;
  o << kind_name(op.kind) << " txn=" << unsigned(op.txn) << " cur=" << unsigned(op.cur)
    << " db=" << unsigned(op.db) << " flags=0x" << std::hex << op.flags << std::dec << " arg=" << op.arg
    << " key=" << unsigned(op.key.kind) << ":" << op.key.id << ":" << op.key.len << " val=" << op.val.seed << ":"
    << op.val.len;
  // Human-oriented tail (ignored by the parser).
  o << "   #";
  if (op.kind == OpKind::CursorGet) o << " " << cursor_op_name(op.arg);
  if (op.kind == OpKind::Put || op.kind == OpKind::CursorPut) o << " " << put_flags_name(op.flags);
  if (op.kind == OpKind::Get || op.kind == OpKind::Put || op.kind == OpKind::Del ||
      (op.kind == OpKind::CursorGet && (op.arg == MDB_SET || op.arg == MDB_SET_KEY || op.arg == MDB_SET_RANGE ||
                                        op.arg == MDB_GET_BOTH || op.arg == MDB_GET_BOTH_RANGE)) ||
      (op.kind == OpKind::CursorPut && !(op.flags & MDB_CURRENT)))
    o << " key" << preview(key_bytes(op.key), 16);
  if (op.kind == OpKind::Put || op.kind == OpKind::CursorPut) o << " vlen=" << op.val.len;
  return o.str();
}

bool parse_op(const std::string &line, Op *op, std::string *err) {
  char name[64];
  unsigned txn, cur, db, kk, kid, klen, vseed, vlen;
  unsigned flags, arg;
  if (sscanf(line.c_str(), "%63s txn=%u cur=%u db=%u flags=0x%x arg=%u key=%u:%u:%u val=%u:%u", name, &txn, &cur,
             &db, &flags, &arg, &kk, &kid, &klen, &vseed, &vlen) != 11) {
    *err = "cannot parse op line: " + line;
    return false;
  }
  for (size_t i = 0; i < static_cast<size_t>(OpKind::Count_); i++) {
    if (strcmp(name, kKindNames[i]) == 0) {
      op->kind = static_cast<OpKind>(i);
      op->txn = static_cast<uint8_t>(txn);
      op->cur = static_cast<uint8_t>(cur);
      op->db = static_cast<uint8_t>(db);
      op->flags = flags;
      op->arg = arg;
      op->key = KeyRef{kid, static_cast<uint16_t>(klen), static_cast<KeyKind>(kk)};
      op->val = ValRef{vseed, vlen};
      if (txn >= kTxnSlots || cur >= kCursorSlots || db >= kDbCount || kk > 2) {
        *err = "op field out of range: " + line;
        return false;
      }
      return true;
    }
  }
  *err = std::string("unknown op kind: ") + name;
  return false;
}

std::string format_env(const EnvConfig &c) {
  char buf[200];
  snprintf(buf, sizeof buf, "env mapsize=%zu maxdbs=%u maxreaders=%u flags=0x%x", c.mapsize, c.maxdbs,
           c.maxreaders, c.flags);
  return buf;
}

bool parse_env(const std::string &line, EnvConfig *c) {
  return sscanf(line.c_str(), "env mapsize=%zu maxdbs=%u maxreaders=%u flags=0x%x", &c->mapsize, &c->maxdbs,
                &c->maxreaders, &c->flags) == 4;
}

bool write_oplist(const std::string &path, const OpList &l, const std::string &comment) {
  std::ofstream f(path);
  if (!f) return false;
  f << "# lmdb_compat operation list; replay with: lmdb_compat --replay " << path << "\n";
  if (!comment.empty()) f << "# " << comment << "\n";
  char seed[40];
  snprintf(seed, sizeof seed, "seed 0x%016llx", static_cast<unsigned long long>(l.seed));
  f << seed << "\n" << format_env(l.env) << "\n";
  for (const Op &op : l.ops) f << format_op(op) << "\n";
  return static_cast<bool>(f);
}

bool read_oplist(const std::string &path, OpList *l, std::string *err) {
  std::ifstream f(path);
  if (!f) {
    *err = "cannot open " + path;
    return false;
  }
  std::string line;
  bool have_env = false;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("seed ", 0) == 0) {
      l->seed = strtoull(line.c_str() + 5, nullptr, 0);
      continue;
    }
    if (line.rfind("env ", 0) == 0) {
      if (!parse_env(line, &l->env)) {
        *err = "bad env line: " + line;
        return false;
      }
      have_env = true;
      continue;
    }
    Op op;
    if (!parse_op(line, &op, err)) return false;
    l->ops.push_back(op);
  }
  if (!have_env) {
    *err = "no env line in " + path;
    return false;
  }
  return true;
}

}  // namespace compat
