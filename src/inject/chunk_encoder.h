#pragma once
// Turns CUPTI buffers, callback events and notes into chunks of one trace
// file. Synchronous and single-threaded: the recorder's writer thread owns
// one, and so does the raw-dump replay (which has no thread and no CUPTI).

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "callback_events.h"
#include "chunk_builder.h"
#include "recorder_health.h"
#include "process_header.h"
#include "trace_file.h"

namespace holdup::inject {

struct NoteItem {
  // Note.Severity values.
  enum Severity : uint32_t {
    kInfo = fields::Note::Severity::INFO,
    kWarning = fields::Note::Severity::WARNING,
    kError = fields::Note::Severity::ERROR
  };
  Severity severity = kInfo;
  uint64_t time_ns = 0;
  std::string code;
  std::string message;
};

// Names threads from /proc/self/task/TID/comm, once per thread id.
class ThreadNamer {
 public:
  // Appends a ThreadName (PROC_COMM) for every id not named before.
  void name_new_threads(const std::vector<uint32_t>& thread_ids, ChunkBuilder& chunk);

 private:
  std::unordered_set<uint32_t> named_;
};

class ChunkEncoder {
 public:
  // A CUPTI buffer whose records encode to more than this is split over
  // several chunks, so readers never need more than ~4 MiB per chunk.
  static constexpr size_t kChunkSoftLimit = 4u << 20;

  explicit ChunkEncoder(const SharedCounters* shared);

  // Creates `dir/holdup-<host>-<pid>.trace` (or .1, .2... if taken).
  bool create(const std::string& dir, std::string* error);
  // Creates exactly `path`, replacing it (replay output).
  bool create_replacing(const std::string& path, std::string* error);
  const std::string& path() const { return file_.path(); }

  void set_size_cap(uint64_t bytes) { size_cap_ = bytes; }
  // API records of this thread are left out (the recorder's own calls).
  void set_ignored_thread(uint32_t tid) { ignored_thread_id_ = tid; }
  void set_layouts_known(bool known) { layouts_known_ = known; }
  // Thread ids seen in API records are named from /proc (recording process
  // only; not in a replay).
  void set_thread_namer(ThreadNamer* namer) { namer_ = namer; }

  // Chunk 0: the header, the notes so far and health.
  bool write_header(const ProcessHeaderInfo& info);

  // Decodes every record of one completed CUPTI buffer (valid bytes only)
  // into one chunk (more only past kChunkSoftLimit) and writes it.
  // `forced`: the buffer came back from a forced flush (its records with a
  // zero start or end are counted incomplete, not zero-timestamp).
  void write_buffer(const uint8_t* buffer, size_t valid_bytes, bool forced = false);

  // The chunk that collects periodic data (callback events, clock samples);
  // write_periodic() writes it with notes and health.
  ChunkBuilder& periodic() { return periodic_; }
  // Encodes one event of the app's callbacks into the periodic chunk (the
  // launch, module, context and stream records; notes for resets and
  // profiler ranges).
  void add_callback_event(const CallbackEvent& e);
  void write_periodic();

  void add_note(NoteItem note) { pending_notes_.push_back(std::move(note)); }
  Health& health() { return health_; }

  // The size cap was reached: recording should stop; nothing more but the
  // final chunk is written.
  bool stopped_by_size_cap() const { return stopped_by_cap_; }

  // Writes the final chunk (always, past the size cap; on a full file
  // system without its last events if only that fits) and closes the file.
  void finish();
  // Writes to an open descriptor instead of a created file (tests).
  void adopt_file(int fd, std::string path);
  // The file's name no longer leads to it (removed with its folder).
  bool file_removed() const;
  // Closes the file without a final chunk (nothing written would be kept).
  void stop_writing();
  // Forked child: forget the file without writing or closing it.
  void abandon() { file_.abandon(); }

 private:
  bool write_chunk(ChunkBuilder& chunk, bool final_chunk);
  void encode_trailer(ChunkBuilder& chunk, uint64_t sequence, const std::vector<NoteItem>& notes, bool final_chunk);

  const SharedCounters* shared_;
  TraceFile file_;
  StringInterner interner_;
  ChunkBuilder current_;
  ChunkBuilder periodic_;
  std::string frame_;
  std::vector<NoteItem> pending_notes_;
  std::vector<uint32_t> thread_ids_;
  Health health_;
  ThreadNamer* namer_ = nullptr;
  uint64_t next_sequence_ = 0;
  uint64_t size_cap_ = 0;
  uint32_t ignored_thread_id_ = 0;
  bool layouts_known_ = true;
  bool stopped_by_cap_ = false;
  bool io_error_logged_ = false;
};

}  // namespace holdup::inject
