// SQLite shaped like Nsight Systems' export (its "SQLite Export Schema
// Reference"): the CUPTI_ACTIVITY_KIND_* tables, StringIds, TARGET_INFO_GPU,
// ThreadNames, NVTX_EVENTS, with nsys's column names, ns timestamps and
// globalPid/globalTid encoding, so that existing queries run; plus columns
// nsys lacks (channelId, channelType, ...) and holdup's HOLDUP_* tables.
// src/export/FORMATS.md lists every table.
//
// One transaction; prepared statements with bound values (SQLite quotes
// nothing by hand here).

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "common.h"
#include "analysis/recorder_records.h"
#include "holdup/version.h"
#include "holdup/trace.pb.h"

namespace holdup::exporting {

using analysis::GpuOp;
using analysis::kNone;
using analysis::OpKind;
using analysis::TimeNs;

namespace {

constexpr const char* kSchema = R"SQL(
CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE ENUM_CUDA_MEMCPY_OPER (id INTEGER PRIMARY KEY, name TEXT NOT NULL, label TEXT NOT NULL);
CREATE TABLE ENUM_CUDA_MEM_KIND (id INTEGER PRIMARY KEY, name TEXT NOT NULL, label TEXT NOT NULL);
CREATE TABLE ENUM_CUPTI_SYNC_TYPE (id INTEGER PRIMARY KEY, name TEXT NOT NULL, label TEXT NOT NULL);
CREATE TABLE ENUM_NSYS_EVENT_CLASS (id INTEGER PRIMARY KEY, name TEXT NOT NULL, label TEXT NOT NULL);
CREATE TABLE ENUM_HOLDUP_CHANNEL_TYPE (id INTEGER PRIMARY KEY, name TEXT NOT NULL, label TEXT NOT NULL);
CREATE TABLE META_DATA_EXPORT (name TEXT NOT NULL, value TEXT);
CREATE TABLE TARGET_INFO_SESSION_START_TIME (utcEpochNs INTEGER, utcTime TEXT, localTime TEXT);
CREATE TABLE TARGET_INFO_SYSTEM_ENV (globalVid INTEGER, name TEXT NOT NULL, value TEXT);
CREATE TABLE TARGET_INFO_GPU (
  id INTEGER NOT NULL, name TEXT, busLocation TEXT, isDiscrete INTEGER, l2CacheSize INTEGER,
  totalMemory INTEGER, memoryBandwidth INTEGER, clockRate INTEGER, smCount INTEGER, pwGpuId INTEGER,
  uuid TEXT, luid INTEGER, chipName TEXT, cuDevice INTEGER, ctxId INTEGER, ctrId INTEGER,
  computeMajor INTEGER, computeMinor INTEGER, maxWarpsPerSm INTEGER, maxBlocksPerSm INTEGER,
  maxRegistersPerSm INTEGER, maxRegistersPerBlock INTEGER, maxShmemPerSm INTEGER, maxShmemPerBlock INTEGER,
  maxThreadsPerBlock INTEGER, threadsPerWarp INTEGER, asyncEngines INTEGER, eccEnabled INTEGER,
  migEnabled INTEGER, numaId INTEGER, globalPid INTEGER);
CREATE TABLE PROCESSES (globalPid INTEGER, pid INTEGER, name TEXT);
CREATE TABLE ThreadNames (nameId INTEGER NOT NULL REFERENCES StringIds(id), priority INTEGER, globalTid INTEGER);
CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (
  start INTEGER NOT NULL, end INTEGER NOT NULL, deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL,
  greenContextId INTEGER, streamId INTEGER NOT NULL, correlationId INTEGER, globalPid INTEGER,
  demangledName INTEGER NOT NULL REFERENCES StringIds(id), shortName INTEGER NOT NULL REFERENCES StringIds(id),
  mangledName INTEGER REFERENCES StringIds(id), launchType INTEGER, cacheConfig INTEGER,
  registersPerThread INTEGER NOT NULL, gridX INTEGER NOT NULL, gridY INTEGER NOT NULL, gridZ INTEGER NOT NULL,
  blockX INTEGER NOT NULL, blockY INTEGER NOT NULL, blockZ INTEGER NOT NULL, staticSharedMemory INTEGER NOT NULL,
  dynamicSharedMemory INTEGER NOT NULL, localMemoryPerThread INTEGER, localMemoryTotal INTEGER, gridId INTEGER,
  sharedMemoryExecuted INTEGER, graphNodeId INTEGER, sharedMemoryLimitConfig INTEGER, graphId INTEGER,
  channelId INTEGER, channelType INTEGER REFERENCES ENUM_HOLDUP_CHANNEL_TYPE(id), queued INTEGER);
CREATE TABLE CUPTI_ACTIVITY_KIND_MEMCPY (
  start INTEGER NOT NULL, end INTEGER NOT NULL, deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL,
  greenContextId INTEGER, streamId INTEGER NOT NULL, correlationId INTEGER, globalPid INTEGER,
  bytes INTEGER NOT NULL, copyKind INTEGER NOT NULL REFERENCES ENUM_CUDA_MEMCPY_OPER(id), deprecatedSrcId INTEGER,
  srcKind INTEGER REFERENCES ENUM_CUDA_MEM_KIND(id), dstKind INTEGER REFERENCES ENUM_CUDA_MEM_KIND(id),
  srcDeviceId INTEGER, srcContextId INTEGER, dstDeviceId INTEGER, dstContextId INTEGER, migrationCause INTEGER,
  graphNodeId INTEGER, virtualAddress INTEGER, copyCount INTEGER, graphId INTEGER,
  channelId INTEGER, channelType INTEGER REFERENCES ENUM_HOLDUP_CHANNEL_TYPE(id), isPeer INTEGER,
  isAsync INTEGER);
CREATE TABLE CUPTI_ACTIVITY_KIND_MEMSET (
  start INTEGER NOT NULL, end INTEGER NOT NULL, deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL,
  greenContextId INTEGER, streamId INTEGER NOT NULL, correlationId INTEGER, globalPid INTEGER,
  value INTEGER NOT NULL, bytes INTEGER NOT NULL, graphNodeId INTEGER,
  memKind INTEGER REFERENCES ENUM_CUDA_MEM_KIND(id), graphId INTEGER,
  channelId INTEGER, channelType INTEGER REFERENCES ENUM_HOLDUP_CHANNEL_TYPE(id), isAsync INTEGER);
CREATE TABLE CUPTI_ACTIVITY_KIND_RUNTIME (
  start INTEGER NOT NULL, end INTEGER NOT NULL, eventClass INTEGER NOT NULL REFERENCES ENUM_NSYS_EVENT_CLASS(id),
  globalTid INTEGER, correlationId INTEGER, nameId INTEGER NOT NULL REFERENCES StringIds(id),
  returnValue INTEGER NOT NULL, callchainId INTEGER);
CREATE TABLE CUPTI_ACTIVITY_KIND_SYNCHRONIZATION (
  start INTEGER NOT NULL, end INTEGER NOT NULL, deviceId INTEGER, contextId INTEGER NOT NULL,
  greenContextId INTEGER, streamId INTEGER, correlationId INTEGER, globalPid INTEGER,
  syncType INTEGER NOT NULL REFERENCES ENUM_CUPTI_SYNC_TYPE(id), eventId INTEGER, eventSyncId INTEGER,
  eventRecordStreamId INTEGER, eventRecordCorrelationId INTEGER);
CREATE TABLE CUPTI_ACTIVITY_KIND_OVERHEAD (
  start INTEGER NOT NULL, end INTEGER NOT NULL, globalTid INTEGER, correlationId INTEGER,
  overheadKind INTEGER NOT NULL, nameId INTEGER NOT NULL REFERENCES StringIds(id), objectKind INTEGER,
  contextId INTEGER, channelId INTEGER);
CREATE TABLE NVTX_EVENTS (
  start INTEGER NOT NULL, end INTEGER, eventType INTEGER NOT NULL, rangeId INTEGER, category INTEGER,
  color INTEGER, text TEXT, globalTid INTEGER, endGlobalTid INTEGER, textId INTEGER REFERENCES StringIds(id),
  domainId INTEGER);
CREATE TABLE HOLDUP_ANALYSIS (name TEXT NOT NULL, value);
CREATE TABLE HOLDUP_TRACE_HEALTH (
  globalPid INTEGER, pid INTEGER, host TEXT, tracePath TEXT, ok INTEGER NOT NULL, problems INTEGER NOT NULL,
  chunks INTEGER, bytes INTEGER, tornTail INTEGER, tornBytes INTEGER, sequenceGaps INTEGER, readError TEXT,
  verifiedChunks INTEGER, damagedChunks INTEGER, damagedBytes INTEGER,
  records INTEGER, droppedRecords INTEGER, zeroTimestampRecords INTEGER, unknownRecords INTEGER,
  buffersRequested INTEGER, buffersCompleted INTEGER, buffersDenied INTEGER, chunksFailed INTEGER,
  callbackEventsDropped INTEGER, incompleteRecords INTEGER, incompleteGpuOps INTEGER, buffersCutShort INTEGER,
  unreadBytes INTEGER, otherSubscriber INTEGER, activityCallbacksLost INTEGER, captureStopped INTEGER,
  finalChunk INTEGER, finalFlushSignal INTEGER, contradictingGpuOps INTEGER);
CREATE TABLE HOLDUP_TRACE_PROBLEMS (globalPid INTEGER, problem TEXT NOT NULL);
CREATE TABLE HOLDUP_TRACE_NOT_RECORDED (globalPid INTEGER, what TEXT NOT NULL);
CREATE TABLE HOLDUP_PATTERNS (
  patternId INTEGER PRIMARY KEY, globalPid INTEGER, globalTid INTEGER, streamId INTEGER, cause TEXT NOT NULL,
  blockerKind TEXT, blockerName TEXT, copies INTEGER NOT NULL, heldNs INTEGER NOT NULL, maxHeldNs INTEGER NOT NULL);
CREATE TABLE HOLDUP_COPIES (
  copyId INTEGER PRIMARY KEY, globalPid INTEGER, globalTid INTEGER, deviceId INTEGER, contextId INTEGER,
  streamId INTEGER, channelId INTEGER, channelType INTEGER REFERENCES ENUM_HOLDUP_CHANNEL_TYPE(id),
  correlationId INTEGER, kind TEXT NOT NULL, bytes INTEGER, opTable TEXT NOT NULL, opRowId INTEGER,
  apiRowId INTEGER, start INTEGER NOT NULL, end INTEGER NOT NULL, issue INTEGER, intent INTEGER,
  hasIssue INTEGER NOT NULL, flagged INTEGER NOT NULL, cold INTEGER NOT NULL, cause TEXT NOT NULL,
  patternId INTEGER REFERENCES HOLDUP_PATTERNS(patternId), issueToStartNs INTEGER, burstNs INTEGER,
  apiNs INTEGER, streamOrderNs INTEGER, dependencyNs INTEGER, heldNs INTEGER, heldHostNs INTEGER,
  heldInBurstNs INTEGER, inheritedNs INTEGER, inheritedFromCopyId INTEGER, normalApiNs INTEGER,
  heldBegin INTEGER, unknownReason TEXT);
CREATE TABLE HOLDUP_PATTERN_WORST (patternId INTEGER NOT NULL REFERENCES HOLDUP_PATTERNS(patternId),
  rank INTEGER NOT NULL, copyId INTEGER NOT NULL REFERENCES HOLDUP_COPIES(copyId));
CREATE TABLE HOLDUP_FINDINGS (
  findingId INTEGER PRIMARY KEY, copyId INTEGER NOT NULL REFERENCES HOLDUP_COPIES(copyId), rank INTEGER NOT NULL,
  cause TEXT NOT NULL, primaryCause INTEGER NOT NULL, claimed INTEGER NOT NULL, explainsNs INTEGER,
  releasedNs INTEGER, remedy TEXT, corroboration TEXT);
CREATE TABLE HOLDUP_SIGNALS (
  signalId INTEGER PRIMARY KEY, findingId INTEGER NOT NULL REFERENCES HOLDUP_FINDINGS(findingId),
  copyId INTEGER NOT NULL REFERENCES HOLDUP_COPIES(copyId), code TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE HOLDUP_RECORDS (
  findingId INTEGER NOT NULL REFERENCES HOLDUP_FINDINGS(findingId),
  signalId INTEGER REFERENCES HOLDUP_SIGNALS(signalId), copyId INTEGER NOT NULL REFERENCES HOLDUP_COPIES(copyId),
  role TEXT NOT NULL, heldBehindNs INTEGER, kind TEXT NOT NULL, nameId INTEGER REFERENCES StringIds(id),
  globalPid INTEGER, globalTid INTEGER, contextId INTEGER, streamId INTEGER, channelId INTEGER,
  channelType INTEGER REFERENCES ENUM_HOLDUP_CHANNEL_TYPE(id), gpuId INTEGER REFERENCES StringIds(id),
  correlationId INTEGER, start INTEGER, end INTEGER, tableName TEXT, rowId INTEGER);
CREATE VIEW HOLDUP_RECORDS_NAMED AS
  SELECT r.*, n.value AS name, g.value AS gpu FROM HOLDUP_RECORDS AS r
  LEFT JOIN StringIds AS n ON n.id = r.nameId LEFT JOIN StringIds AS g ON g.id = r.gpuId;
CREATE VIEW HOLDUP_COLD_COPIES AS SELECT * FROM HOLDUP_COPIES WHERE cold = 1;
CREATE VIEW HOLDUP_HELD_COPIES AS SELECT * FROM HOLDUP_COPIES WHERE flagged = 1 AND cold = 0;
)SQL";

class Db {
 public:
  ~Db() {
    if (db_) sqlite3_close(db_);
  }
  bool open(const std::string& path) {
    // Allocation statistics off (a global lock per allocation otherwise);
    // only possible before SQLite starts, and harmless when it has.
    static const bool configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
    (void)configured;
    // Each connection is used by one thread at a time: no lock per call.
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      fail();
      return false;
    }
    return true;
  }
  void exec(const char* sql) {
    if (!ok()) return;
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      error_ = message ? message : sqlite3_errmsg(db_);
      sqlite3_free(message);
    }
  }
  bool close() {
    if (db_ && sqlite3_close(db_) != SQLITE_OK) fail();
    db_ = nullptr;
    return ok();
  }
  void fail(const char* why = nullptr) {
    if (error_.empty()) error_ = why ? why : db_ ? sqlite3_errmsg(db_) : "cannot open";
  }
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::string error_;
};

// An INSERT of rows whose values are given in column order; run() ends a
// row and returns its rowid (tables are new, so row ids count from 1, and
// explicit ids are given only to INTEGER PRIMARY KEY tables that get no
// other rows). Rows are inserted kBatch at a time by one prepared
// multi-row statement: one statement step per row costs more than the row.
class Insert {
 public:
  static constexpr int kBatch = 32;

  Insert(Db& db, const char* table, std::initializer_list<const char*> columns)
      : db_(db), columns_(static_cast<int>(columns.size())) {
    std::string names, row;
    for (const char* c : columns) {
      names += (names.empty() ? "" : ", ") + std::string(c);
      row += row.empty() ? "(?" : ", ?";
    }
    row += ")";
    std::string rows = row;
    for (int r = 1; r < kBatch; ++r) rows += ", " + row;
    prepare(fmt::format("INSERT INTO {} ({}) VALUES {}", table, names, row), &single_);
    prepare(fmt::format("INSERT INTO {} ({}) VALUES {}", table, names, rows), &batch_);
    values_ = std::make_unique<Value[]>(static_cast<size_t>(columns_) * kBatch);
  }
  ~Insert() { finalize(); }
  // Inserts the rows still held, then releases the statements.
  void finalize() {
    flush();
    sqlite3_finalize(single_);
    sqlite3_finalize(batch_);
    single_ = batch_ = nullptr;
  }
  Insert& i(int64_t v) {
    push(Value{Value::kInt, 0, v});
    return *this;
  }
  Insert& u(uint64_t v) { return i(static_cast<int64_t>(v)); }
  Insert& d(double v) {
    Value value{Value::kDouble, 0, 0};
    static_assert(sizeof(double) == sizeof(int64_t));
    std::memcpy(&value.number, &v, sizeof v);
    push(value);
    return *this;
  }
  // Text is kept in one buffer until the rows are inserted.
  Insert& t(std::string_view v) {
    push(Value{Value::kText, static_cast<uint32_t>(v.size()), static_cast<int64_t>(text_.size())});
    text_.append(v);
    return *this;
  }
  Insert& null() {
    push(Value{Value::kNull, 0, 0});
    return *this;
  }
  // An id: NULL when 0 (none).
  Insert& id(int64_t v) { return v ? i(v) : null(); }
  int64_t run() {
    if (count_ != (rows_ + 1) * columns_) {
      db_.fail("holdup: an INSERT was given the wrong number of values");
      count_ = rows_ * columns_;
      return 0;
    }
    if (++rows_ == kBatch) {
      step(batch_, 0, kBatch);
      count_ = 0;
      text_.clear();
      rows_ = 0;
    }
    return ++rowid_;
  }

 private:
  struct Value {
    enum Kind : uint8_t { kNull, kInt, kDouble, kText } kind;
    uint32_t size;   // text: its length
    int64_t number;  // integer, double's bits, or text: its offset in text_
  };

  [[gnu::always_inline]] void push(const Value& v) {
    if (count_ < columns_ * kBatch) {
      values_[count_] = v;
    }
    ++count_;  // run() finds a row given too many values
  }
  void prepare(const std::string& sql, sqlite3_stmt** stmt) {
    if (db_.ok() && sqlite3_prepare_v3(db_.handle(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) !=
                        SQLITE_OK) {
      db_.fail();
    }
  }
  // Binds rows [first, first + count) of values_ to `stmt` and runs it.
  void step(sqlite3_stmt* stmt, int first, int count) {
    if (!stmt || !db_.ok()) return;
    int param = 0;
    for (int k = first * columns_; k < (first + count) * columns_; ++k) {
      const Value& v = values_[k];
      ++param;
      switch (v.kind) {
        case Value::kNull: sqlite3_bind_null(stmt, param); break;
        case Value::kInt: sqlite3_bind_int64(stmt, param, v.number); break;
        case Value::kDouble: {
          double real;
          std::memcpy(&real, &v.number, sizeof real);
          sqlite3_bind_double(stmt, param, real);
          break;
        }
        case Value::kText:
          sqlite3_bind_text(stmt, param, text_.data() + v.number, static_cast<int>(v.size), SQLITE_STATIC);
          break;
      }
    }
    if (sqlite3_step(stmt) != SQLITE_DONE) db_.fail();
    sqlite3_reset(stmt);
  }
  void flush() {
    for (int r = 0; r < rows_; ++r) step(single_, r, 1);
    count_ = 0;
    text_.clear();
    rows_ = 0;
  }

  Db& db_;
  const int columns_;
  sqlite3_stmt* single_ = nullptr;
  sqlite3_stmt* batch_ = nullptr;
  std::unique_ptr<Value[]> values_;
  int count_ = 0;  // values given since the batch began
  std::string text_;
  int rows_ = 0;
  int64_t rowid_ = 0;
};

// Opens the database (the tables made, one transaction begun) before the
// writer's members prepare their statements.
struct OpenDb {
  Db db;
  explicit OpenDb(const std::string& path) {
    if (!db.open(path)) return;
    // The file is written aside and renamed: no journal is needed for a
    // reader to see either the old file or the whole new one.
    db.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
            "PRAGMA page_size = 65536; PRAGMA cache_size = -16384; BEGIN;");
    db.exec(kSchema);
  }
};

class SqliteExport final : private OpenDb, public detail::ProcessWriter {
 public:
  SqliteExport(const Input& input, uint32_t process, const detail::Window& window, const std::string& path)
      : OpenDb(path),
        in_(input),
        model_(*input.analysis->model),
        p_(process),
        process_(model_.processes[process]),
        extras_(input.extras && process < input.extras->processes.size() ? &input.extras->processes[process]
                                                                          : nullptr),
        db_(db),
        window_(window),
        path_(path),
        names_(model_),
        records_(model_),
        gpid_(global_pid(model_, process)),
        strings_insert_(db, "StringIds", {"id", "value"}) {}

  void records() override {
    enums();
    target_info();
    health();
    threads();
    kernels_and_copies();
    api_calls();
    syncs();
    overheads();
    nvtx();
  }

  void verdicts() override {
    analysis_rows();
    holdup_tables();
  }

  bool close(std::string* error) override {
    strings_insert_.finalize();
    db_.exec("COMMIT;");
    const bool ok = db_.close();
    if (!ok) *error = fmt::format("{}: {}", path_, db_.error());
    return ok;
  }

 private:
  int64_t string_id(std::string_view value) {
    auto it = extra_strings_.find(value);
    if (it != extra_strings_.end()) return it->second;
    const int64_t id = next_string_++;
    strings_insert_.i(id).t(value).run();
    extra_strings_.emplace(std::string(value), id);
    return id;
  }
  int64_t model_string(uint32_t index) {
    if (index == kNone) return string_id("<unnamed>");
    auto [it, added] = model_strings_.try_emplace(index, 0);
    if (added) it->second = string_id(model_.name(index));
    return it->second;
  }
  int64_t demangled_string(uint32_t index) {
    if (index == kNone) return string_id("<unnamed>");
    auto [it, added] = demangled_strings_.try_emplace(index, 0);
    if (added) it->second = string_id(names_.demangled(index));
    return it->second;
  }
  int64_t short_string(uint32_t index) {
    if (index == kNone) return string_id("<unnamed>");
    auto [it, added] = short_strings_.try_emplace(index, 0);
    if (added) it->second = string_id(names_.short_name(index));
    return it->second;
  }
  int64_t gtid(uint32_t thread) const { return gpid_ | static_cast<int64_t>(thread & 0xFFFFFF); }

  void enums() {
    Insert memcpy(db_, "ENUM_CUDA_MEMCPY_OPER", {"id", "name", "label"});
    for (int k = 0; k <= proto::PTOP; ++k) {
      const auto* d = proto::CopyKind_descriptor()->FindValueByNumber(k);
      memcpy.i(k).t(d ? "CUDA_MEMCPY_KIND_" + d->name() : "CUDA_MEMCPY_KIND_UNKNOWN")
          .t(detail::memcpy_kind_text(static_cast<uint8_t>(k)))
          .run();
    }
    Insert mem(db_, "ENUM_CUDA_MEM_KIND", {"id", "name", "label"});
    for (int k = 0; k <= proto::MANAGED_STATIC; ++k) {
      const auto* d = proto::MemoryKind_descriptor()->FindValueByNumber(k);
      mem.i(k).t(d ? "CUDA_MEMOPR_MEMORY_KIND_" + d->name() : "CUDA_MEMOPR_MEMORY_KIND_UNKNOWN")
          .t(detail::memory_kind_text(static_cast<uint8_t>(k)))
          .run();
    }
    Insert sync(db_, "ENUM_CUPTI_SYNC_TYPE", {"id", "name", "label"});
    for (int k = 0; k <= proto::CONTEXT_SYNCHRONIZE; ++k) {
      const auto* d = proto::SynchronizationType_descriptor()->FindValueByNumber(k);
      sync.i(k).t(d ? "CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_" + d->name() : "UNKNOWN")
          .t(detail::sync_type_text(static_cast<uint8_t>(k)))
          .run();
    }
    Insert cls(db_, "ENUM_NSYS_EVENT_CLASS", {"id", "name", "label"});
    cls.i(0).t("TRACE_PROCESS_EVENT_CUDA_RUNTIME").t("CUDA Runtime API").run();
    cls.i(1).t("TRACE_PROCESS_EVENT_CUDA_DRIVER").t("CUDA Driver API").run();
    Insert channel(db_, "ENUM_HOLDUP_CHANNEL_TYPE", {"id", "name", "label"});
    for (int k = 0; k <= proto::CHANNEL_TYPE_DECOMP; ++k) {
      const auto* d = proto::ChannelType_descriptor()->FindValueByNumber(k);
      const auto text = channel_type_text(static_cast<uint32_t>(k));
      channel.i(k).t(d ? d->name() : "?").t(text.empty() ? "unknown" : text).run();
    }
  }

  void target_info() {
    Insert meta(db_, "META_DATA_EXPORT", {"name", "value"});
    meta.t("EXPORT_TOOL").t("holdup export").run();
    meta.t("EXPORT_TOOL_VERSION").t(HOLDUP_VERSION).run();
    meta.t("HOLDUP_SCHEMA").t("holdup-sqlite/1").run();
    meta.t("TRACE_PATH").t(process_.trace_path).run();
    const proto::ProcessHeader* header = extras_ ? &extras_->header : nullptr;
    if (header && header->start_time_unix_ns()) {
      const std::time_t seconds = static_cast<std::time_t>(header->start_time_unix_ns() / 1'000'000'000);
      std::tm utc{};
      gmtime_r(&seconds, &utc);
      char text[64];
      std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
      Insert start(db_, "TARGET_INFO_SESSION_START_TIME", {"utcEpochNs", "utcTime", "localTime"});
      start.u(header->start_time_unix_ns()).t(text).null().run();
    }
    Insert env(db_, "TARGET_INFO_SYSTEM_ENV", {"globalVid", "name", "value"});
    env.i(0).t("Hostname").t(process_.hostname).run();
    if (header) {
      if (header->cuda_driver_version()) env.i(0).t("CudaDriverVersion").t(std::to_string(header->cuda_driver_version())).run();
      if (!header->driver_version_string().empty()) env.i(0).t("NvDriverVersion").t(header->driver_version_string()).run();
      if (header->cupti_api_version()) env.i(0).t("CuptiApiVersion").t(std::to_string(header->cupti_api_version())).run();
      for (const auto& [k, v] : header->rank_env()) env.i(0).t(k).t(v).run();
    }
    for (const auto& [k, v] : process_.scheduling_env) env.i(0).t(k).t(v).run();

    Insert processes(db_, "PROCESSES", {"globalPid", "pid", "name"});
    processes.i(gpid_).u(process_.pid).t(detail::process_title(model_, p_)).run();

    Insert gpu(db_, "TARGET_INFO_GPU",
               {"id", "name", "busLocation", "l2CacheSize", "totalMemory", "memoryBandwidth", "clockRate", "smCount",
                "uuid", "cuDevice", "computeMajor", "computeMinor", "maxWarpsPerSm", "maxBlocksPerSm",
                "maxRegistersPerSm", "maxRegistersPerBlock", "maxShmemPerSm", "maxShmemPerBlock",
                "maxThreadsPerBlock", "threadsPerWarp", "asyncEngines", "eccEnabled", "migEnabled", "numaId",
                "globalPid"});
    std::map<uint32_t, const proto::Device*> devices;
    if (extras_) {
      for (const auto& [id, d] : extras_->devices) devices[id] = &d;
    }
    for (const auto& [id, g] : process_.device_gpu) devices.try_emplace(id, nullptr);
    for (const auto& [id, d] : devices) {
      std::string bus, uuid, name;
      for (const auto& identity : process_.recorder->device_identities) {
        if (identity.ordinal() == id) {
          bus = identity.pci_bus_id();
          uuid = identity.uuid();
          name = identity.name();
        }
      }
      if (d) {
        if (!d->uuid().empty()) uuid = d->uuid();
        if (!d->name().empty()) name = d->name();
        gpu.u(id).t(name).t(bus).u(d->l2_cache_size()).u(d->global_memory_size())
            .u(d->global_memory_bandwidth_kbps() * 1000).u(uint64_t{d->core_clock_rate_khz()} * 1000)
            .u(d->num_multiprocessors()).t(uuid).u(id).u(d->compute_capability_major())
            .u(d->compute_capability_minor()).u(d->max_warps_per_multiprocessor())
            .u(d->max_blocks_per_multiprocessor()).u(d->max_registers_per_multiprocessor())
            .u(d->max_registers_per_block()).u(d->max_shared_memory_per_multiprocessor())
            .u(d->max_shared_memory_per_block()).u(d->max_threads_per_block()).u(d->num_threads_per_warp())
            .u(d->num_memcpy_engines()).u(d->ecc_enabled()).u(d->is_mig_enabled()).u(d->numa_id()).i(gpid_)
            .run();
      } else {
        gpu.u(id).t(name).t(bus);
        for (int k = 0; k < 5; ++k) gpu.null();
        gpu.t(uuid).u(id);
        for (int k = 0; k < 14; ++k) gpu.null();
        gpu.i(gpid_).run();
      }
    }
  }

  void health() {
    const auto problems = process_.problems;
    const auto& h = process_.recorder->health;
    const auto& in = process_.input;
    Insert row(db_, "HOLDUP_TRACE_HEALTH",
               {"globalPid", "pid", "host", "tracePath", "ok", "problems", "chunks", "bytes", "tornTail", "tornBytes",
                "sequenceGaps", "readError", "verifiedChunks", "damagedChunks", "damagedBytes", "records", "droppedRecords", "zeroTimestampRecords", "unknownRecords",
                "buffersRequested", "buffersCompleted", "buffersDenied", "chunksFailed", "callbackEventsDropped",
                "incompleteRecords", "incompleteGpuOps", "buffersCutShort", "unreadBytes", "otherSubscriber",
                "activityCallbacksLost", "captureStopped", "finalChunk", "finalFlushSignal", "contradictingGpuOps"});
    row.i(gpid_).u(process_.pid).t(process_.hostname).t(process_.trace_path).i(problems.empty())
        .u(problems.size()).u(in.chunks).u(in.bytes).i(in.torn_tail).u(in.torn_bytes).u(in.sequence_gaps)
        .t(in.error).u(in.verified_chunks).u(in.damaged_chunks).u(in.damaged_bytes).u(h.records()).u(h.dropped_records()).u(h.zero_timestamp_records()).u(h.unknown_records())
        .u(h.buffers_requested()).u(h.buffers_completed()).u(h.buffers_denied()).u(h.chunks_failed())
        .u(h.callback_events_dropped()).u(h.incomplete_records()).u(process_.incomplete_ops())
        .u(h.buffers_cut_short()).u(h.unread_bytes()).i(h.other_subscriber()).i(h.activity_callbacks_lost())
        .i(h.capture_stopped()).i(h.final_chunk()).u(h.final_flush_signal()).u(process_.contradicting_ops)
        .run();
    Insert problem(db_, "HOLDUP_TRACE_PROBLEMS", {"globalPid", "problem"});
    for (const auto& text : problems) problem.i(gpid_).t(text).run();
    Insert left_out(db_, "HOLDUP_TRACE_NOT_RECORDED", {"globalPid", "what"});
    for (const auto& text : process_.not_recorded) left_out.i(gpid_).t(text).run();
  }

  void analysis_rows() {
    copies_ = detail::copies_of(in_, p_);
    Insert analysis(db_, "HOLDUP_ANALYSIS", {"name", "value"});
    const auto& o = in_.analysis->options;
    analysis.t("threshold_ns").u(o.threshold_ns).run();
    analysis.t("adjacency_ns").u(o.adjacency_ns).run();
    analysis.t("burst_gap_ns").u(o.burst_gap_ns).run();
    analysis.t("burst_gap_lean_ns").u(o.burst_gap_lean_ns).run();
    analysis.t("origin_ns").u(model_.origin_ns).run();
    analysis.t("window_from_ns").u(window_.from).run();
    window_.all() ? analysis.t("window_to_ns").null().run() : analysis.t("window_to_ns").u(window_.to).run();
    analysis.t("copies_selected").u(copies_.size()).run();
    for (const auto& w : model_.warnings) analysis.t("warning").t(w).run();
  }

  void threads() {
    Insert names(db_, "ThreadNames", {"nameId", "priority", "globalTid"});
    for (const auto& [thread, name] : process_.thread_names) names.i(model_string(name)).null().i(gtid(thread)).run();
  }

  void kernels_and_copies() {
    op_row_.assign(model_.ops.size(), 0);
    Insert kernel(db_, "CUPTI_ACTIVITY_KIND_KERNEL",
                  {"start", "end", "deviceId", "contextId", "streamId", "correlationId", "globalPid", "demangledName",
                   "shortName", "mangledName", "launchType", "registersPerThread", "gridX", "gridY", "gridZ",
                   "blockX", "blockY", "blockZ", "staticSharedMemory", "dynamicSharedMemory", "localMemoryTotal",
                   "gridId", "sharedMemoryExecuted", "graphNodeId", "graphId", "channelId", "channelType",
                   "queued"});
    Insert memcpy(db_, "CUPTI_ACTIVITY_KIND_MEMCPY",
                  {"start", "end", "deviceId", "contextId", "streamId", "correlationId", "globalPid", "bytes",
                   "copyKind", "srcKind", "dstKind", "srcDeviceId", "srcContextId", "dstDeviceId", "dstContextId",
                   "graphNodeId", "copyCount", "graphId", "channelId", "channelType", "isPeer", "isAsync"});
    Insert memset(db_, "CUPTI_ACTIVITY_KIND_MEMSET",
                  {"start", "end", "deviceId", "contextId", "streamId", "correlationId", "globalPid", "value", "bytes",
                   "graphNodeId", "memKind", "graphId", "channelId", "channelType", "isAsync"});
    size_t extras_cursor = 0;
    for (uint32_t i = 0; i < model_.ops.size(); ++i) {
      const GpuOp& op = model_.ops[i];
      if (op.process != p_ || !window_.contains(op.start_ns, op.end_ns)) continue;
      const OpExtra* x = extras_ ? extras_->find(op, &extras_cursor) : nullptr;
      Insert* row = &kernel;
      if (op.kind == OpKind::kernel) {
        kernel.u(op.start_ns).u(op.end_ns).u(op.device_id).u(op.context_id).u(op.stream_id).u(op.correlation_id)
            .i(gpid_).i(demangled_string(op.name)).i(short_string(op.name)).i(model_string(op.name));
        if (x) {
          kernel.u(x->launch_type).u(op.registers_per_thread).i(x->grid[0]).i(x->grid[1]).i(x->grid[2])
              .i(x->block[0]).i(x->block[1]).i(x->block[2]).i(x->static_shared_memory).i(x->dynamic_shared_memory)
              .u(x->local_memory_total).i(x->grid_id).u(x->shared_memory_executed).u(x->graph_node_id);
        } else {
          kernel.null().u(op.registers_per_thread).u(op.bytes_or_blocks).i(1).i(1).u(op.threads_per_block).i(1)
              .i(1).u(op.shared_memory_per_block).i(0).null().null().null().null();
        }
        kernel.u(op.graph_id).u(op.channel_id).u(op.channel_type).u(x ? x->queued_ns : 0);
      } else if (op.kind == OpKind::memcpy) {
        row = &memcpy;
        memcpy.u(op.start_ns).u(op.end_ns).u(op.device_id).u(op.context_id).u(op.stream_id).u(op.correlation_id)
            .i(gpid_).u(op.bytes_or_blocks).u(op.copy_kind);
        if (x) {
          memcpy.u(x->src_kind).u(x->dst_kind).u(x->src_device_id).u(x->src_context_id).u(x->dst_device_id)
              .u(x->dst_context_id).u(x->graph_node_id).u(x->copy_count);
        } else {
          for (int k = 0; k < 8; ++k) memcpy.null();
        }
        memcpy.u(op.graph_id).u(op.channel_id).u(op.channel_type).i((op.flags & GpuOp::kPeer) != 0)
            .i((op.flags & GpuOp::kSynchronous) == 0);
      } else {
        row = &memset;
        memset.u(op.start_ns).u(op.end_ns).u(op.device_id).u(op.context_id).u(op.stream_id).u(op.correlation_id)
            .i(gpid_).u(x ? x->memset_value : 0).u(op.bytes_or_blocks);
        if (x) {
          memset.u(x->graph_node_id).u(x->src_kind);
        } else {
          memset.null().null();
        }
        memset.u(op.graph_id).u(op.channel_id).u(op.channel_type).i((op.flags & GpuOp::kSynchronous) == 0);
      }
      op_row_[i] = static_cast<uint32_t>(row->run());
    }
  }

  void api_calls() {
    api_row_.assign(model_.api_calls.size(), 0);
    Insert api(db_, "CUPTI_ACTIVITY_KIND_RUNTIME",
               {"start", "end", "eventClass", "globalTid", "correlationId", "nameId", "returnValue"});
    for (uint32_t i = 0; i < model_.api_calls.size(); ++i) {
      const auto& c = model_.api_calls[i];
      if (c.process != p_ || !window_.contains(c.start_ns, c.end_ns)) continue;
      api_row_[i] = static_cast<uint32_t>(api.u(c.start_ns).u(c.end_ns).i(c.domain == proto::ApiCall::DRIVER ? 1 : 0)
                                              .i(gtid(c.thread_id)).u(c.correlation_id).i(model_string(c.name))
                                              .u(c.return_value)
                                              .run());
    }
  }

  void syncs() {
    Insert sync(db_, "CUPTI_ACTIVITY_KIND_SYNCHRONIZATION",
                {"start", "end", "deviceId", "contextId", "streamId", "correlationId", "globalPid", "syncType",
                 "eventSyncId", "eventRecordStreamId", "eventRecordCorrelationId"});
    for (uint32_t i = 0; i < model_.synchronizations.size(); ++i) {
      const auto& s = model_.synchronizations[i];
      if (s.process != p_ || !window_.contains(s.start_ns, s.end_ns)) continue;
      const int64_t device = detail::device_of_context(model_, p_, s.context_id);
      (device >= 0 ? sync.u(s.start_ns).u(s.end_ns).i(device) : sync.u(s.start_ns).u(s.end_ns).null())
          .u(s.context_id)
          .i(static_cast<int32_t>(s.stream_id))
          .u(s.correlation_id)
          .i(gpid_)
          .u(s.type)
          .id(static_cast<int64_t>(s.event_sync_id));
      const auto& events = process_.event_by_sync_id;
      if (auto it = s.event_sync_id ? events.find(s.event_sync_id) : events.end(); it != events.end()) {
        sync.u(model_.events[it->second].stream_id).u(model_.events[it->second].correlation_id);
      } else {
        sync.null().null();
      }
      sync_row_[i] = sync.run();
    }
  }

  void overheads() {
    Insert row(db_, "CUPTI_ACTIVITY_KIND_OVERHEAD",
               {"start", "end", "globalTid", "correlationId", "overheadKind", "nameId", "objectKind", "contextId",
                "channelId"});
    for (uint32_t i = 0; i < model_.overheads.size(); ++i) {
      const auto& o = model_.overheads[i];
      if (o.process != p_ || !window_.contains(o.start_ns, o.end_ns)) continue;
      const auto* d = proto::OverheadKind_descriptor()->FindValueByNumber(static_cast<int>(o.kind));
      overhead_row_[i] = row.u(o.start_ns).u(o.end_ns).i(gtid(o.thread_id)).u(o.correlation_id).u(o.kind)
                             .i(string_id(d ? d->name() : std::to_string(o.kind))).u(o.object_kind).u(o.context_id)
                             .u(o.channel_id)
                             .run();
    }
  }

  void nvtx() {
    // eventType 60: NVTX start/end range (59 would be push/pop).
    Insert row(db_, "NVTX_EVENTS", {"start", "end", "eventType", "text", "globalTid", "endGlobalTid", "textId"});
    for (const auto& r : model_.nvtx_ranges) {
      if (r.process != p_ || !window_.contains(r.start_ns, r.end_ns)) continue;
      row.u(r.start_ns).u(r.end_ns).i(60).null().i(gtid(r.thread_id)).i(gtid(r.thread_id)).i(model_string(r.name)).run();
    }
  }

  // Where a record named by a verdict is in this file: (table, rowid).
  std::pair<const char*, int64_t> row_of(const analysis::RecordRef& ref) {
    const auto r = records_.find(ref);
    if (r.process != p_) return {nullptr, 0};
    switch (r.kind) {
      case detail::Resolved::Kind::op: {
        const auto& op = model_.ops[r.index];
        const char* table = op.kind == OpKind::kernel   ? "CUPTI_ACTIVITY_KIND_KERNEL"
                            : op.kind == OpKind::memcpy ? "CUPTI_ACTIVITY_KIND_MEMCPY"
                                                        : "CUPTI_ACTIVITY_KIND_MEMSET";
        return {op_row_[r.index] ? table : nullptr, op_row_[r.index]};
      }
      case detail::Resolved::Kind::api:
        return {api_row_[r.index] ? "CUPTI_ACTIVITY_KIND_RUNTIME" : nullptr, api_row_[r.index]};
      case detail::Resolved::Kind::overhead: {
        auto it = overhead_row_.find(r.index);
        return it == overhead_row_.end() ? std::pair<const char*, int64_t>{nullptr, 0}
                                         : std::pair<const char*, int64_t>{"CUPTI_ACTIVITY_KIND_OVERHEAD", it->second};
      }
      case detail::Resolved::Kind::sync: {
        auto it = sync_row_.find(r.index);
        return it == sync_row_.end()
                   ? std::pair<const char*, int64_t>{nullptr, 0}
                   : std::pair<const char*, int64_t>{"CUPTI_ACTIVITY_KIND_SYNCHRONIZATION", it->second};
      }
      case detail::Resolved::Kind::none: break;
    }
    return {nullptr, 0};
  }

  // ENUM_HOLDUP_CHANNEL_TYPE's id of a RecordRef's channel type.
  static int64_t channel_type_id(const std::string& text) {
    for (uint32_t k = 0; k <= proto::CHANNEL_TYPE_DECOMP; ++k) {
      if (channel_type_text(k) == text) return k;
    }
    return 0;
  }

  void record_row(Insert& row, int64_t finding, int64_t signal, int64_t copy, const char* role, const TimeNs* held,
                  const analysis::RecordRef& r) {
    // The record's process: its globalPid (on the same host, as the model
    // only compares processes of one host).
    int64_t pid = static_cast<int64_t>(process_.host) << 48 | static_cast<int64_t>(r.pid & 0xFFFFFF) << 24;
    const auto [table, rowid] = row_of(r);
    row.i(finding).id(signal).i(copy).t(role);
    held ? row.u(*held) : row.null();
    row.t(record_kind_name(r.kind)).i(string_id(r.name)).i(pid).id(r.thread_id ? pid | (r.thread_id & 0xFFFFFF) : 0);
    const bool gpu = is_gpu_work(r.kind);
    if (gpu) {
      row.u(r.context_id).u(r.stream_id).u(r.channel_id).i(channel_type_id(r.channel_type)).i(string_id(r.gpu));
    } else {
      row.null().null().null().null().null();
    }
    row.u(r.correlation_id).u(r.start_ns).u(r.end_ns);
    table ? row.t(table).i(rowid) : row.null().null();
    row.run();
  }

  void holdup_tables() {
    const analysis::Analysis& a = *in_.analysis;
    const auto& scope_copies = copies_;
    // Patterns of this process's selected copies.
    const auto patterns = analysis::find_patterns(a, scope_copies, 3);
    std::map<analysis::PatternKey, int64_t> pattern_ids;
    Insert pattern(db_, "HOLDUP_PATTERNS",
                   {"patternId", "globalPid", "globalTid", "streamId", "cause", "blockerKind", "blockerName", "copies",
                    "heldNs", "maxHeldNs"});
    for (size_t i = 0; i < patterns.size(); ++i) {
      const auto& k = patterns[i].key;
      pattern_ids[k] = static_cast<int64_t>(i + 1);
      pattern.i(static_cast<int64_t>(i + 1)).i(gpid_).i(gtid(k.thread_id)).u(k.stream_id).t(analysis::cause_id(k.cause))
          .t(k.blocker_kind ? record_kind_name(*k.blocker_kind) : "").t(k.blocker_name).u(patterns[i].copies).u(patterns[i].held_ns)
          .u(patterns[i].max_held_ns)
          .run();
    }

    // Copies, in selection order; copy ids are their row ids.
    std::unordered_map<uint32_t, int64_t> copy_id_of_op;
    for (size_t i = 0; i < scope_copies.size(); ++i) {
      copy_id_of_op[a.copies[scope_copies[i]].op] = static_cast<int64_t>(i + 1);
    }
    Insert copy(db_, "HOLDUP_COPIES",
                {"copyId", "globalPid", "globalTid", "deviceId", "contextId", "streamId", "channelId", "channelType",
                 "correlationId", "kind", "bytes", "opTable", "opRowId", "apiRowId", "start", "end", "issue", "intent",
                 "hasIssue", "flagged", "cold", "cause", "patternId", "issueToStartNs", "burstNs", "apiNs",
                 "streamOrderNs", "dependencyNs", "heldNs", "heldHostNs", "heldInBurstNs", "inheritedNs",
                 "inheritedFromCopyId", "normalApiNs", "heldBegin", "unknownReason"});
    for (size_t i = 0; i < scope_copies.size(); ++i) {
      const auto& v = a.copies[scope_copies[i]];
      const GpuOp& op = model_.ops[v.op];
      const auto& s = v.split;
      int64_t pattern_id = 0;
      if (v.pattern != kNone && v.pattern < a.pattern_keys.size()) {
        auto it = pattern_ids.find(a.pattern_keys[v.pattern]);
        if (it != pattern_ids.end()) pattern_id = it->second;
      }
      int64_t inherited_from = 0;
      if (s.inherited_from != kNone) {
        auto it = copy_id_of_op.find(s.inherited_from);
        if (it != copy_id_of_op.end()) inherited_from = it->second;
      }
      copy.i(static_cast<int64_t>(i + 1)).i(gpid_);
      op.has_issue() ? copy.i(gtid(model_.api_calls[op.api].thread_id)) : copy.null();
      copy.u(op.device_id).u(op.context_id).u(op.stream_id).u(op.channel_id).u(op.channel_type).u(op.correlation_id)
          .t(analysis::op_kind_name(op)).u(op.bytes_or_blocks)
          .t(op.kind == OpKind::memset ? "CUPTI_ACTIVITY_KIND_MEMSET" : "CUPTI_ACTIVITY_KIND_MEMCPY")
          .id(op_row_[v.op])
          .id(op.has_issue() ? api_row_[op.api] : 0)
          .u(op.start_ns)
          .u(op.end_ns);
      if (op.has_issue()) {
        copy.u(op.issue_ns).u(s.intent_ns ? s.intent_ns : op.issue_ns);
      } else {
        copy.null().null();
      }
      copy.i(v.has_issue()).i(v.flagged()).i(v.cold()).t(analysis::cause_id(v.cause)).id(pattern_id);
      if (v.has_issue()) {
        copy.u(s.issue_to_start).u(s.burst).u(s.api).u(s.stream_order).u(s.dependency).u(s.held).u(s.held_host)
            .u(s.held_in_burst).u(s.inherited).id(inherited_from).u(s.normal_api_ns).u(s.held_begin_ns);
      } else {
        for (int k = 0; k < 12; ++k) copy.null();
      }
      const bool unknown = v.flagged() && v.cause == analysis::Cause::unknown;
      unknown ? copy.t(analysis::unknown_reason(a, scope_copies[i])) : copy.null();
      copy.run();
    }
    Insert worst(db_, "HOLDUP_PATTERN_WORST", {"patternId", "rank", "copyId"});
    for (size_t i = 0; i < patterns.size(); ++i) {
      for (size_t r = 0; r < patterns[i].worst.size(); ++r) {
        auto it = copy_id_of_op.find(a.copies[patterns[i].worst[r]].op);
        if (it != copy_id_of_op.end()) worst.i(static_cast<int64_t>(i + 1)).i(static_cast<int64_t>(r + 1)).i(it->second).run();
      }
    }

    // Findings, signals and the records they rest on: flagged copies only.
    Insert finding(db_, "HOLDUP_FINDINGS",
                   {"copyId", "rank", "cause", "primaryCause", "claimed", "explainsNs", "releasedNs", "remedy",
                    "corroboration"});
    Insert signal(db_, "HOLDUP_SIGNALS", {"findingId", "copyId", "code", "text"});
    Insert record(db_, "HOLDUP_RECORDS",
                  {"findingId", "signalId", "copyId", "role", "heldBehindNs", "kind", "nameId", "globalPid",
                   "globalTid", "contextId", "streamId", "channelId", "channelType", "gpuId", "correlationId", "start",
                   "end", "tableName", "rowId"});
    analysis::FlaggedDetail storage;
    for (size_t i = 0; i < scope_copies.size(); ++i) {
      const auto& v = a.copies[scope_copies[i]];
      if (!v.flagged()) continue;
      const int64_t copy_id = static_cast<int64_t>(i + 1);
      const auto& detail = detail::findings_of(a, scope_copies[i], &storage);
      for (size_t r = 0; r < detail.findings.size(); ++r) {
        const auto& f = detail.findings[r];
        std::string corroboration;
        for (const auto& c : f.corroboration) corroboration += (corroboration.empty() ? "" : "\n") + c;
        const bool primary = r == 0 && f.claimed && v.cause == f.cause;
        const int64_t finding_id = finding.i(copy_id).i(static_cast<int64_t>(r)).t(analysis::cause_id(f.cause))
                                       .i(primary).i(f.claimed).u(f.explains_ns).u(f.released_ns).t(f.remedy)
                                       .t(corroboration)
                                       .run();
        for (const auto& s : f.signals) {
          const int64_t signal_id = signal.i(finding_id).i(copy_id).t(s.code).t(s.text).run();
          for (const auto& ref : s.records) record_row(record, finding_id, signal_id, copy_id, "signal", nullptr, ref);
        }
        for (const auto& b : f.blockers) {
          record_row(record, finding_id, 0, copy_id, "blocker", &b.held_behind_ns, b.record);
        }
      }
    }
  }

  const Input& in_;
  const analysis::Model& model_;
  const uint32_t p_;
  const analysis::Process& process_;
  const ProcessExtras* extras_;
  Db& db_;
  const detail::Window window_;
  const std::string path_;
  std::vector<uint32_t> copies_;
  detail::NameCache names_;
  detail::RecordIndex records_;
  const int64_t gpid_;
  Insert strings_insert_;
  int64_t next_string_ = 1;
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
  };
  std::unordered_map<std::string, int64_t, TextHash, std::equal_to<>> extra_strings_;
  std::unordered_map<uint32_t, int64_t> model_strings_, demangled_strings_, short_strings_;
  // Row ids of the records written (0: not in this file).
  std::vector<uint32_t> op_row_, api_row_;
  std::unordered_map<uint32_t, int64_t> overhead_row_, sync_row_;
};

}  // namespace

namespace detail {

std::unique_ptr<ProcessWriter> sqlite_writer(const Input& input, uint32_t process, const Window& window,
                                             const std::string& path) {
  return std::make_unique<SqliteExport>(input, process, window, path);
}

}  // namespace detail

bool write_sqlite(const Input& input, uint32_t process, const std::string& path, std::string* error) {
  SqliteExport db(input, process, detail::window_of(input, process), path);
  db.records();
  db.verdicts();
  return db.close(error);
}

}  // namespace holdup::exporting
