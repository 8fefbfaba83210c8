// Self-test input of check_field_literals.cmake (not compiled): every line
// marked BAD must be reported, every line marked GOOD must not. The test
// expects exactly the number of BAD lines (11).
// A comment is ignored: put_u64(k, 1, r.start); w.add_uint32(2, x);

namespace chunk_field {  // BAD (hand-typed field numbers)
constexpr uint32_t kSequence = 1, kHeader = 2;
}

void bad(protozero::pbf_writer& parent, Record& r, bool runtime) {
  protozero::pbf_writer k(parent, 10);                     // BAD
  put_u64(k, 1, r.start);                                  // BAD
  put_u32(k,
          2, r.end);                                       // BAD (reported on its first line)
  k.add_uint64(3, r.queued);                               // BAD
  k.add_bool( 31, true);                                   // BAD
  k.add_string(4, "x");                                    // BAD
  k.add_message(5, body);                                  // BAD
  put(6, health.records);                                  // BAD
  add_map(8, info.rank_env);                               // BAD
  k.add_enum(fields::ApiCall::domain, runtime ? 2 : 1);    // BAD
}

void good(protozero::pbf_writer& parent, Record& r, bool runtime) {
  protozero::pbf_writer k(parent, fields::Chunk::kernel);                          // GOOD
  put_u64(k, fields::Kernel::start_ns, r.start);                                  // GOOD
  put_i32(k, fields::Kernel::grid_x, r.gridX);                                    // GOOD
  k.add_uint32(fields::Kernel::device_id, r.deviceId);                            // GOOD
  k.add_enum(fields::Note::severity, static_cast<int32_t>(n.severity));           // GOOD
  k.add_enum(fields::ApiCall::domain, runtime ? fields::ApiCall::Domain::RUNTIME  // GOOD
                                              : fields::ApiCall::Domain::DRIVER);
  add_note({NoteItem::kWarning, 0, "code", text});                                // GOOD
  uint64_t v = std::max<uint64_t>(1, x);                                          // GOOD
}
