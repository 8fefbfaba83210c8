#include "chunk_encoder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include <cupti_activity.h>
#include <fmt/format.h>

#include "log.h"
#include "trace_format/framing.h"
#include "record_decoder.h"

namespace holdup::inject {

void ThreadNamer::name_new_threads(const std::vector<uint32_t>& thread_ids, ChunkBuilder& chunk) {
  for (uint32_t tid : thread_ids) {
    if (tid == 0 || !named_.insert(tid).second) continue;
    std::ifstream in(fmt::format("/proc/self/task/{}/comm", tid));
    std::string name;
    if (!std::getline(in, name) || name.empty()) continue;  // thread gone
    const uint64_t iid = chunk.intern(name);
    protozero::pbf_writer t(chunk.writer(), fields::Chunk::thread_name);
    t.add_uint32(fields::ThreadName::thread_id, tid);
    t.add_uint64(fields::ThreadName::name_iid, iid);
    t.add_enum(fields::ThreadName::source, fields::ThreadName::Source::PROC_COMM);
  }
}

ChunkEncoder::ChunkEncoder(const SharedCounters* shared)
    : shared_(shared), current_(interner_), periodic_(interner_) {}

bool ChunkEncoder::create(const std::string& dir, std::string* error) {
  return file_.create(dir, fmt::format("holdup-{}-{}", host_name(), getpid()), ".trace", error);
}

bool ChunkEncoder::create_replacing(const std::string& path, std::string* error) {
  ::unlink(path.c_str());
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return file_.create(dir, name, "", error);
}

bool ChunkEncoder::write_header(const ProcessHeaderInfo& info) {
  current_.clear();
  encode_process_header(current_, info);
  return write_chunk(current_, false);
}

void ChunkEncoder::write_buffer(const uint8_t* buffer, size_t valid_bytes, bool forced) {
  ++health_.buffers_completed;
  if (stopped_by_cap_) return;
  current_.clear();
  thread_ids_.clear();
  DecodeContext ctx{current_, health_, namer_ != nullptr ? &thread_ids_ : nullptr, ignored_thread_id_,
                    layouts_known_, forced};
  CUpti_Activity* record = nullptr;
  // cuptiActivityGetNextRecord only reads the buffer; it walks plain memory
  // too (checked without a GPU), which is what lets a replay use this path.
  auto* data = const_cast<uint8_t*>(buffer);
  for (;;) {
    const CUpti_Activity* previous = record;
    const CUptiResult next = cuptiActivityGetNextRecord(data, valid_bytes, &record);
    if (next != CUPTI_SUCCESS) {
      // MAX_LIMIT_REACHED: the end. Anything else (INVALID_KIND: a record
      // incomplete or invalid) stops the walk: the rest of the buffer cannot
      // be read, since records have no common size field. Counted; the
      // unread part starts after the last record read (CUPTI leaves
      // `record` there).
      if (next != CUPTI_ERROR_MAX_LIMIT_REACHED) {
        size_t read_until = 0;
        if (previous != nullptr)
          read_until = static_cast<size_t>(reinterpret_cast<const uint8_t*>(previous) - buffer) +
                       known_record_size(previous);
        ++health_.buffers_cut_short;
        health_.unread_bytes += valid_bytes > read_until ? valid_bytes - read_until : 0;
      }
      break;
    }
    decode_record(record, ctx);
    if (current_.encoded_size() > kChunkSoftLimit) {
      if (namer_ != nullptr) namer_->name_new_threads(thread_ids_, current_);
      thread_ids_.clear();
      write_chunk(current_, false);
      current_.clear();
      if (stopped_by_cap_) return;
    }
  }
  if (namer_ != nullptr) namer_->name_new_threads(thread_ids_, current_);
  if (current_.records() > 0 || current_.encoded_size() > 0) write_chunk(current_, false);
  current_.clear();
}

void ChunkEncoder::add_callback_event(const CallbackEvent& e) {
  using T = CallbackEvent::Type;
  switch (e.type) {
    case T::kLaunch: {
      protozero::pbf_writer l(periodic_.writer(), fields::Chunk::launch);
      l.add_uint32(fields::Launch::correlation_id, e.correlation_id);
      l.add_uint32(fields::Launch::thread_id, e.thread_id);
      l.add_uint32(fields::Launch::context_id, e.context_id);
      l.add_uint64(fields::Launch::function_handle, e.handle);
      if (e.first_launch == CallbackEvent::FirstLaunch::kYes) l.add_bool(fields::Launch::first_launch, true);
      l.add_uint64(fields::Launch::api_enter_ns, e.time_ns);
      l.add_uint32(fields::Launch::cbid, e.cbid);
      if (e.first_launch == CallbackEvent::FirstLaunch::kUnknown)
        l.add_bool(fields::Launch::first_launch_unknown, true);
      break;
    }
    case T::kModuleLoaded:
    case T::kModuleUnloadStarting:
    case T::kContextCreated:
    case T::kContextDestroyStarting:
    case T::kStreamCreated:
    case T::kStreamDestroyStarting: {
      namespace kinds = fields::ModuleEvent::Kind;
      int32_t kind = kinds::KIND_UNSPECIFIED;
      switch (e.type) {
        case T::kModuleLoaded: kind = kinds::LOADED; break;
        case T::kModuleUnloadStarting: kind = kinds::UNLOAD_STARTING; break;
        case T::kContextCreated: kind = kinds::CONTEXT_CREATED; break;
        case T::kContextDestroyStarting: kind = kinds::CONTEXT_DESTROY_STARTING; break;
        case T::kStreamCreated: kind = kinds::STREAM_CREATED; break;
        default: kind = kinds::STREAM_DESTROY_STARTING; break;
      }
      protozero::pbf_writer m(periodic_.writer(), fields::Chunk::module);
      m.add_enum(fields::ModuleEvent::kind, kind);
      m.add_uint64(fields::ModuleEvent::time_ns, e.time_ns);
      m.add_uint32(fields::ModuleEvent::thread_id, e.thread_id);
      m.add_uint32(fields::ModuleEvent::context_id, e.context_id);
      if (e.object_id) m.add_uint32(fields::ModuleEvent::object_id, e.object_id);
      if (e.size_bytes) m.add_uint64(fields::ModuleEvent::size_bytes, e.size_bytes);
      break;
    }
    case T::kDeviceReset:
      add_note({NoteItem::kInfo, e.time_ns, "device-reset",
                fmt::format("cudaDeviceReset called on thread {}; activity flushed before it",
                            e.thread_id)});
      break;
    case T::kProfilerStart:
      add_note({NoteItem::kInfo, e.time_ns, "profiler-start",
                fmt::format("cudaProfilerStart on thread {}: recording", e.thread_id)});
      break;
    case T::kProfilerStop:
      add_note({NoteItem::kInfo, e.time_ns, "profiler-stop",
                fmt::format("cudaProfilerStop on thread {}: recording paused", e.thread_id)});
      break;
    case T::kEventRecord:
    case T::kStreamWait:
    case T::kHostFunc: {
      namespace kinds = fields::EventCall::Kind;
      protozero::pbf_writer c(periodic_.writer(), fields::Chunk::event_call);
      c.add_enum(fields::EventCall::kind, e.type == T::kEventRecord  ? kinds::RECORD
                                          : e.type == T::kStreamWait ? kinds::STREAM_WAIT
                                                                     : kinds::HOST_FUNC);
      c.add_uint64(fields::EventCall::time_ns, e.time_ns);
      c.add_uint32(fields::EventCall::thread_id, e.thread_id);
      c.add_uint32(fields::EventCall::context_id, e.context_id);
      c.add_uint32(fields::EventCall::correlation_id, e.correlation_id);
      if (e.object_id) c.add_uint32(fields::EventCall::stream_id, e.object_id);
      c.add_uint64(fields::EventCall::event_handle, e.handle);
      c.add_uint32(fields::EventCall::cbid, e.cbid);
      c.add_enum(fields::EventCall::domain, e.domain);
      break;
    }
  }
  periodic_.count_record();
}

void ChunkEncoder::write_periodic() {
  if (!stopped_by_cap_) write_chunk(periodic_, false);
  periodic_.clear();
}

void ChunkEncoder::finish() {
  if (!file_.is_open()) return;
  // Past the size cap the final chunk still goes out (small: events,
  // health, notes), so the file says how it ended.
  if (!write_chunk(periodic_, true) && file_.is_open() && periodic_.records() > 0) {
    // A full file system: the reserve holds health and notes, not
    // necessarily the last tick's events. Without them, then.
    const uint64_t events = periodic_.records();
    periodic_.clear();
    pending_notes_.push_back({NoteItem::kWarning, 0, "final-chunk-trimmed",
                              fmt::format("the final chunk's last {} callback events did not fit in {} and are "
                                          "left out",
                                          events, file_.path())});
    write_chunk(periodic_, true);
  }
  periodic_.clear();
  file_.close();
}

void ChunkEncoder::adopt_file(int fd, std::string path) { file_.adopt(fd, std::move(path)); }

bool ChunkEncoder::file_removed() const { return file_.removed(); }

void ChunkEncoder::stop_writing() {
  periodic_.clear();
  file_.close();
}

void ChunkEncoder::encode_trailer(ChunkBuilder& chunk, uint64_t sequence, const std::vector<NoteItem>& notes,
                                 bool final_chunk) {
  auto& w = chunk.writer();
  if (sequence != 0) w.add_uint64(fields::Chunk::sequence, sequence);
  for (const NoteItem& n : notes) {
    protozero::pbf_writer note(w, fields::Chunk::note);
    note.add_enum(fields::Note::severity, static_cast<int32_t>(n.severity));
    if (n.time_ns) note.add_uint64(fields::Note::time_ns, n.time_ns);
    note.add_string(fields::Note::code, n.code);
    note.add_string(fields::Note::message, n.message);
  }
  protozero::pbf_writer h(w, fields::Chunk::health);
  auto put = [&h](uint32_t field, uint64_t v) {
    if (v) h.add_uint64(field, v);
  };
  put(fields::RecorderHealth::records, health_.records);
  put(fields::RecorderHealth::dropped_records, health_.dropped_records);
  for (const DroppedCount& d : health_.dropped) {
    protozero::pbf_writer dr(h, fields::RecorderHealth::dropped);
    dr.add_uint32(fields::DroppedRecords::context_id, d.context_id);
    if (d.stream_id) dr.add_uint32(fields::DroppedRecords::stream_id, d.stream_id);
    dr.add_uint64(fields::DroppedRecords::count, d.count);
  }
  put(fields::RecorderHealth::zero_timestamp_records, health_.zero_timestamp_records);
  put(fields::RecorderHealth::unknown_records, health_.unknown_records);
  if (shared_ != nullptr)
    put(fields::RecorderHealth::buffers_requested, shared_->buffers_requested.load(std::memory_order_relaxed));
  put(fields::RecorderHealth::buffers_completed, health_.buffers_completed);
  if (shared_ != nullptr)
    put(fields::RecorderHealth::buffers_denied, shared_->buffers_denied.load(std::memory_order_relaxed));
  put(fields::RecorderHealth::bytes_written, health_.bytes_written);
  put(fields::RecorderHealth::chunks_failed, health_.chunks_failed);
  if (health_.other_subscriber) h.add_bool(fields::RecorderHealth::other_subscriber, true);
  if (health_.activity_callbacks_lost) h.add_bool(fields::RecorderHealth::activity_callbacks_lost, true);
  if (shared_ != nullptr)
    put(fields::RecorderHealth::callback_events_dropped,
        shared_->callback_events_dropped.load(std::memory_order_relaxed));
  if (health_.capture_stopped) h.add_bool(fields::RecorderHealth::capture_stopped, true);
  put(fields::RecorderHealth::forced_flushes, health_.forced_flushes);
  put(fields::RecorderHealth::incomplete_records, health_.incomplete_records);
  put(fields::RecorderHealth::forced_gpu_records, health_.forced_gpu_records);
  if (shared_ != nullptr)
    put(fields::RecorderHealth::buffer_bytes_handed_out,
        shared_->buffer_bytes_handed_out.load(std::memory_order_relaxed));
  for (size_t i = 0; i < health_.incomplete_by_kind.size(); ++i) {
    if (health_.incomplete_by_kind[i] == 0) continue;
    protozero::pbf_writer k(h, fields::RecorderHealth::incomplete);
    const std::string_view name = activity_kind_name(static_cast<ActivityKind>(i));
    k.add_string(fields::KindCount::kind, name.data(), name.size());
    k.add_uint64(fields::KindCount::count, health_.incomplete_by_kind[i]);
  }
  if (health_.final_flush_signal > 0)
    h.add_uint32(fields::RecorderHealth::final_flush_signal, static_cast<uint32_t>(health_.final_flush_signal));
  put(fields::RecorderHealth::buffers_cut_short, health_.buffers_cut_short);
  put(fields::RecorderHealth::unread_bytes, health_.unread_bytes);
  if (final_chunk) h.add_bool(fields::RecorderHealth::final_chunk, true);
}

bool ChunkEncoder::write_chunk(ChunkBuilder& chunk, bool final_chunk) {
  if (!file_.is_open()) return false;
  if (stopped_by_cap_ && !final_chunk) return false;
  const uint64_t sequence = next_sequence_++;
  const size_t records_end = chunk.encoded_size();
  const uint64_t written_before = health_.bytes_written;
  // health.bytes_written counts this chunk too; its own size depends on the
  // varint of that number, so settle it in a few passes.
  size_t framed = records_end;
  for (int pass = 0; pass < 4; ++pass) {
    chunk.body().resize(records_end);
    health_.bytes_written = written_before + framed;
    encode_trailer(chunk, sequence, pending_notes_, final_chunk);
    trace_format::frame_chunk(chunk.body(), &frame_);
    if (frame_.size() == framed) break;
    framed = frame_.size();
  }

  if (size_cap_ != 0 && !final_chunk && written_before + frame_.size() > size_cap_) {
    health_.bytes_written = written_before;
    ++health_.chunks_failed;
    health_.capture_stopped = true;
    stopped_by_cap_ = true;
    // The dropped chunk may have carried first uses of strings.
    interner_.forget_all();
    pending_notes_.push_back({NoteItem::kWarning, 0, "size-cap-reached",
                              fmt::format("trace reached HOLDUP_SIZE_CAP_MB ({} bytes); recording stopped",
                                          size_cap_)});
    log().warn("trace {} reached HOLDUP_SIZE_CAP_MB ({} bytes); recording stopped; raise the cap to record more",
               file_.path(), size_cap_);
    return false;
  }

  std::string error;
  if (!file_.write_all(frame_, &error, final_chunk)) {
    health_.bytes_written = written_before;
    ++health_.chunks_failed;
    interner_.forget_all();
    if (!io_error_logged_) {
      // Once: the next chunks most likely fail the same way. The note goes
      // out with the next chunk that can be written (the final one, thanks
      // to the reserve), so the trace says where it stopped.
      log().warn("{}; {}", error,
                 sequence == 0 ? std::string("nothing of the trace could be written")
                               : fmt::format("the trace keeps chunks 0 to {}, and later ones where space allows",
                                             sequence - 1));
      pending_notes_.push_back(
          {NoteItem::kError, 0, "write-failed",
           fmt::format("chunk {} and later could not be written: {}; the trace holds every chunk before it "
                       "({} bytes) and those written after it; chunks_failed counts the ones lost",
                       sequence, error, written_before)});
    }
    io_error_logged_ = true;
    return false;
  }
  pending_notes_.clear();
  return true;
}

}  // namespace holdup::inject
