#include "storage/live_segment.h"

#include "common/strings.h"

namespace lode::storage {

void CorruptionReports::Add(std::string path, std::string message) {
  absl::MutexLock l(&mu_);
  for (const Report& r : reports_) {
    if (r.path == path) return;  // one report per segment is enough to act on
  }
  reports_.push_back(Report{std::move(path), std::move(message)});
}

std::vector<CorruptionReports::Report> CorruptionReports::Take() {
  absl::MutexLock l(&mu_);
  return std::move(reports_);
}

bool CorruptionReports::empty() const {
  absl::MutexLock l(&mu_);
  return reports_.empty();
}

LiveSegment::LiveSegment(Env* env, const std::string& dir, SegmentEntry entry,
                         std::shared_ptr<CorruptionReports> reports)
    : env_(env),
      entry_(std::move(entry)),
      file_(JoinPath(dir, entry_.path)),
      reports_(std::move(reports)) {}

LiveSegment::~LiveSegment() {
  bool remove;
  {
    absl::MutexLock l(&mu_);
    remove = retired_ && !detached_;
    reader_.reset();
  }
  // Not durable, and need not be: a crash before the directory is synced brings back a file no
  // manifest names, which the next open removes.
  if (remove) env_->RemoveFile(file_).IgnoreError();
}

absl::StatusOr<std::shared_ptr<const SegmentReader>> LiveSegment::Reader() {
  absl::MutexLock l(&mu_);
  if (reader_ != nullptr) return reader_;
  auto r = SegmentReader::Open(env_, file_);
  if (!r.ok()) {
    const absl::Status& s = r.status();
    if (reports_ != nullptr && (absl::IsDataLoss(s) || absl::IsNotFound(s))) {
      reports_->Add(entry_.path, std::string(StatusMessage(s)));
    }
    return s;
  }
  reader_ = std::move(*r);
  return reader_;
}

void LiveSegment::ReportCorruptBlock(const absl::Status& error) {
  if (reports_ != nullptr && absl::IsDataLoss(error)) {
    reports_->Add(entry_.path, std::string(StatusMessage(error)));
  }
}

void LiveSegment::Retire() {
  absl::MutexLock l(&mu_);
  retired_ = true;
}

void LiveSegment::Detach() {
  absl::MutexLock l(&mu_);
  detached_ = true;
}

absl::Status LiveSegmentSource::ReadBlock(size_t i, RecordBatch* out) const {
  absl::Status s = reader_->ReadBlock(i, out);
  if (!s.ok()) segment_->ReportCorruptBlock(s);
  return s;
}

absl::Status LiveSegmentSource::ReadBlock(size_t i, const std::vector<uint32_t>& column_ids,
                                          RecordBatch* out, const BlockReadOptions& options) const {
  absl::Status s = reader_->ReadBlock(i, column_ids, out, options);
  if (!s.ok()) segment_->ReportCorruptBlock(s);
  return s;
}

}  // namespace lode::storage
