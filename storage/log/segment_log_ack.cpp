// segment_log: running append callbacks and the commit listener.

#include "storage/log/segment_log.hpp"

namespace almanac::storage {

void segment_log::post_ack(ack_job job) {
  {
    std::lock_guard<std::mutex> guard{ack_mutex_};
    // Callbacks keep commit order: while the acknowledgement thread has
    // work, everything goes through it. Only the writer posts, so an idle
    // acknowledgement thread stays idle while the writer delivers itself.
    if (job.batch.size() > ack_handoff_requests || !acks_.empty()
        || ack_running_) {
      acks_.push_back(std::move(job));
      ack_cv_.notify_one();
      return;
    }
  }
  deliver(job);
}

void segment_log::deliver(ack_job& job) {
  auto started = std::chrono::steady_clock::now();
  if (job.listener)
    job.listener(job.end_offset);
  for (size_t i = 0; i < job.batch.size(); ++i) {
    auto& req = *job.batch[i];
    if (req.roll)
      req.roll_done(job.error);
    else if (job.results.empty())
      req.done(job.error);
    else
      req.done(job.results[i]);
  }
  auto elapsed = std::chrono::steady_clock::now() - started;
  std::lock_guard<std::mutex> guard{state_mutex_};
  stats_.ack_time += elapsed;
}

void segment_log::run_acker() {
  std::deque<ack_job> jobs;
  for (;;) {
    {
      std::unique_lock<std::mutex> guard{ack_mutex_};
      ack_running_ = false;
      ack_cv_.wait(guard, [this] { return !acks_.empty() || ack_stop_; });
      if (acks_.empty())
        return; // stopping, and everything delivered
      jobs.swap(acks_);
      ack_running_ = true;
    }
    for (auto& job : jobs)
      deliver(job);
    jobs.clear();
  }
}

void segment_log::stop_acker() {
  {
    std::lock_guard<std::mutex> guard{ack_mutex_};
    ack_stop_ = true;
  }
  ack_cv_.notify_one();
  if (acker_.joinable())
    acker_.join();
}

} // namespace almanac::storage
