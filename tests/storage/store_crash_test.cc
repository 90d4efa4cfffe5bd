// Crash tests of the store: each workload (append, flush, compaction, retention, delete) runs on
// a FaultInjectionEnv that crashes after k sync points, for k = 0, 1, ... until a run completes;
// after each crash the store is reopened and checked:
//   - every acknowledged record is present exactly once, unless its removal was acknowledged
//     (then it is absent);
//   - the records of a removal that was attempted but not acknowledged (the call failed at the
//     crash) are either all present or all absent: a delete, and the age step of a retention
//     run, are atomic;
//   - no record appears twice, and none that was never written appears;
//   - no segment is corrupt, and no segment file is left that the manifest does not name.
#include <functional>

#include <gtest/gtest.h>

#include "storage/fault_injection_env.h"
#include "storage/mem_env.h"
#include "storage/store.h"
#include "tests/storage/store_testing.h"

namespace lode::storage {
namespace {

using testing::IdBatch;
using testing::IdCounts;
using testing::kDay;
using testing::kHour;

const std::string kDir = "/data";
const int64_t kT0 = *ParseRfc3339("2026-11-25T00:00:00Z");

struct Ledger {
  std::set<int> attempted;      // written, acknowledged or not
  std::set<int> acked;          // Write returned OK
  std::set<int> removed;        // a removal that returned OK covered them
  std::set<int> maybe_removed;  // a removal that failed covered them: all or none
};

// Writes ids [first, first+n); false when the write failed (the crash).
bool WriteIds(Store* store, Ledger* l, int first, int n, int64_t start, int64_t step) {
  for (int i = first; i < first + n; ++i) l->attempted.insert(i);
  if (!store->Write(IdBatch(first, n, start, step)).ok()) return false;
  for (int i = first; i < first + n; ++i) l->acked.insert(i);
  return true;
}

using Phase = std::function<void(Store*, Ledger*)>;

StoreOptions Options() {
  StoreOptions o;
  o.background = false;
  o.segment.block_rows = 8;
  return o;
}

void Verify(MemEnv* mem, const Ledger& l, bool crashed) {
  auto reopened = Store::Open(mem, kDir, Options());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  Store* store = reopened->get();
  const std::map<int, int> counts = IdCounts(store);
  for (int id : l.acked) {
    const int n = counts.count(id) ? counts.at(id) : 0;
    if (l.removed.count(id)) {
      EXPECT_EQ(n, 0) << "record " << id << " was deleted";
    } else if (l.maybe_removed.count(id)) {
      EXPECT_LE(n, 1) << "record " << id;
    } else {
      EXPECT_EQ(n, 1) << "acknowledged record " << id;
    }
  }
  for (auto [id, n] : counts) {
    EXPECT_EQ(n, 1) << "record " << id << " appears " << n << " times";
    EXPECT_TRUE(l.attempted.count(id)) << "record " << id << " was never written";
  }
  size_t present = 0, pending = 0;
  for (int id : l.maybe_removed) {
    if (l.removed.count(id)) continue;
    pending++;
    present += counts.count(id);
  }
  EXPECT_TRUE(present == 0 || present == pending)
      << present << " of " << pending << " records of an interrupted removal are left";
  EXPECT_EQ(testing::SegmentFiles(mem, kDir), testing::ManifestPaths(mem, kDir));
  EXPECT_FALSE(mem->FileExists(JoinPath(kDir, "quarantine")));
  if (!crashed) {
    EXPECT_TRUE(l.maybe_removed.empty());
  }
  // The reopened store works.
  ASSERT_TRUE(store->Write(IdBatch(900000, 3, kT0, kHour)).ok());
  ASSERT_TRUE(store->Flush().ok());
  ASSERT_TRUE(store->Compact().ok());
  EXPECT_EQ(IdCounts(store).size(), counts.size() + 3);
}

// Runs `setup` without faults, then `work` with a crash after k sync points, for every k.
void CrashLoop(const Phase& setup, const Phase& work, int* runs = nullptr) {
  for (int k = 0;; ++k) {
    SCOPED_TRACE(StrCat("crash after ", k, " sync points"));
    MemEnv mem;
    FaultInjectionEnv env(&mem);
    Ledger ledger;
    bool crashed;
    {
      auto store = Store::Open(&env, kDir, Options());
      ASSERT_TRUE(store.ok()) << store.status();
      setup(store->get(), &ledger);
      if (::testing::Test::HasFatalFailure()) return;
      env.CrashAfterSyncPoints(k);
      work(store->get(), &ledger);
      crashed = env.crash_point_reached();
    }
    ASSERT_TRUE(env.SimulateCrash().ok());
    Verify(&mem, ledger, crashed);
    if (::testing::Test::HasFailure()) return;
    if (!crashed) {
      if (runs != nullptr) *runs = k + 1;
      break;
    }
    ASSERT_LT(k, 1000);
  }
}

TEST(StoreCrashTest, AppendAndFlush) {
  int runs = 0;
  CrashLoop([](Store*, Ledger*) {},
            [](Store* store, Ledger* l) {
              for (int i = 0; i < 9; ++i) {
                if (!WriteIds(store, l, i * 5, 5, kT0, 4 * kHour)) return;
                if (i % 3 == 2 && !store->Flush().ok()) return;
              }
            },
            &runs);
  EXPECT_GT(runs, 20);  // the workload has that many sync points: the loop covered them
}

TEST(StoreCrashTest, Compaction) {
  int runs = 0;
  CrashLoop(
      [](Store* store, Ledger* l) {
        for (int i = 0; i < 4; ++i) {
          ASSERT_TRUE(WriteIds(store, l, i * 10, 10, kT0 + i * kHour, 4 * kHour));
          ASSERT_TRUE(store->Flush().ok());
        }
      },
      [](Store* store, Ledger* l) {
        if (!store->Compact().ok()) return;
        if (!WriteIds(store, l, 100, 5, kT0, kHour)) return;
        store->Flush().IgnoreError();
      },
      &runs);
  EXPECT_GT(runs, 8);
}

TEST(StoreCrashTest, Retention) {
  const int64_t day20 = *ParseRfc3339("2026-11-20T00:00:00Z");
  const int64_t cutoff = MemEnv::kDefaultNowNanos - 3 * kDay;
  int runs = 0;
  CrashLoop(
      [&](Store* store, Ledger* l) {
        // Every 5 hours from the 20th: segments from two flushes, and some in the memtable.
        ASSERT_TRUE(WriteIds(store, l, 0, 20, day20, 5 * kHour));
        ASSERT_TRUE(store->Flush().ok());
        ASSERT_TRUE(WriteIds(store, l, 20, 20, day20, 5 * kHour));
        ASSERT_TRUE(store->Flush().ok());
        ASSERT_TRUE(WriteIds(store, l, 40, 10, day20, 2 * kHour));
      },
      [&](Store* store, Ledger* l) {
        std::set<int> old;
        for (int id : l->acked) {
          const int64_t t = day20 + id * (id < 40 ? 5 : 2) * kHour;
          if (t < cutoff) old.insert(id);
        }
        ASSERT_FALSE(old.empty());
        ASSERT_LT(old.size(), l->acked.size());
        RetentionPolicy p;
        p.max_age_ns = 3 * kDay;
        auto r = store->ApplyRetention(p);
        (r.ok() ? l->removed : l->maybe_removed).insert(old.begin(), old.end());
        if (r.ok()) {
          EXPECT_EQ(r->records_removed, old.size());
        }
      },
      &runs);
  EXPECT_GT(runs, 8);
}

TEST(StoreCrashTest, Delete) {
  int runs = 0;
  CrashLoop(
      [](Store* store, Ledger* l) {
        ASSERT_TRUE(WriteIds(store, l, 0, 30, kT0, kHour));
        ASSERT_TRUE(store->Flush().ok());
        ASSERT_TRUE(WriteIds(store, l, 30, 30, kT0, kHour));
      },
      [](Store* store, Ledger* l) {
        // Remove the even ids in [10, 50).
        std::set<int> targets;
        for (int id = 10; id < 50; id += 2) targets.insert(id);
        auto r = store->Delete(kDefaultTenant, kT0 + 10 * kHour, kT0 + 50 * kHour,
                               [](const RecordBatch& b, std::vector<uint32_t>* rows) {
                                 const Column* even = b.FindColumn("even", FieldType::kBool);
                                 if (even == nullptr) return absl::OkStatus();
                                 for (size_t i = 0; i < even->rows.size(); ++i) {
                                   if (even->ints[i]) rows->push_back(even->rows[i]);
                                 }
                                 return absl::OkStatus();
                               });
        (r.ok() ? l->removed : l->maybe_removed).insert(targets.begin(), targets.end());
        if (!r.ok()) return;
        EXPECT_EQ(r->records_removed, targets.size());
        WriteIds(store, l, 60, 5, kT0, kHour);
      },
      &runs);
  EXPECT_GT(runs, 8);
}

// An fsync, directory sync or rename that fails (not a crash: the process goes on) must not
// lose data either, in particular when the manifest was renamed into place but its directory
// sync failed, so that a crash may still bring back the old manifest. Each kind of operation
// fails from its n-th occurrence in the workload on, for every n; then the failures stop, and
// either the machine crashes at once or the store first writes and flushes again.
TEST(StoreCrashTest, FailedSyncsAndRenamesNeverLoseData) {
  using Op = FaultInjectionEnv::Op;
  for (Op op : {Op::kSync, Op::kSyncDir, Op::kRename}) {
    for (bool more_work : {false, true}) {
      for (int n = 1;; ++n) {
        SCOPED_TRACE(StrCat(FaultInjectionEnv::OpName(op), " fails from its ", n,
                            "th call; more work after: ", more_work));
        MemEnv mem;
        FaultInjectionEnv env(&mem);
        Ledger l;
        bool fired;
        {
          auto opened = Store::Open(&env, kDir, Options());
          ASSERT_TRUE(opened.ok());
          Store* store = opened->get();
          for (int i = 0; i < 3; ++i) {
            ASSERT_TRUE(WriteIds(store, &l, i * 10, 10, kT0, kHour));
            ASSERT_TRUE(store->Flush().ok());
          }
          ASSERT_TRUE(WriteIds(store, &l, 30, 10, kT0, kHour));
          env.ResetCounters();
          env.FailAfter(op, n, absl::UnavailableError("injected"));
          if (store->Compact().ok()) {
            std::set<int> targets = {0, 11, 22, 33};
            auto r = store->Delete(kDefaultTenant, INT64_MIN, INT64_MAX,
                                   [&](const RecordBatch& b, std::vector<uint32_t>* rows) {
                                     for (uint32_t i = 0; i < b.num_rows(); ++i) {
                                       const int id =
                                           std::stoi(std::string(b.message(i).substr(1)));
                                       if (targets.count(id)) rows->push_back(i);
                                     }
                                     return absl::OkStatus();
                                   });
            (r.ok() ? l.removed : l.maybe_removed).insert(targets.begin(), targets.end());
          }
          fired = env.count(op) >= n;
          env.ClearFailures();
          if (more_work) {
            EXPECT_TRUE(WriteIds(store, &l, 50, 5, kT0, kHour));
            EXPECT_TRUE(store->Flush().ok());
            // The store is consistent in memory too.
            auto counts = IdCounts(store);
            for (int id : l.acked) {
              if (!l.removed.count(id) && !l.maybe_removed.count(id)) {
                EXPECT_EQ(counts[id], 1) << id;
              }
            }
          }
        }
        ASSERT_TRUE(env.SimulateCrash().ok());
        Verify(&mem, l, /*crashed=*/fired);
        if (::testing::Test::HasFailure() || !fired) break;
        ASSERT_LT(n, 200);
      }
    }
  }
}

TEST(StoreCrashTest, DiskFullRejectsWritesKeepsDataAndRecovers) {
  MemEnv mem;
  FaultInjectionEnv env(&mem);
  Ledger l;
  auto opened = Store::Open(&env, kDir, Options());
  ASSERT_TRUE(opened.ok());
  Store* store = opened->get();
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(WriteIds(store, &l, i * 10, 10, kT0, kHour));
    ASSERT_TRUE(store->Flush().ok());
  }
  ASSERT_TRUE(WriteIds(store, &l, 20, 10, kT0, kHour));  // in the memtable

  env.SetNoSpace(true);
  auto w = store->Write(IdBatch(30, 5, kT0, kHour));
  EXPECT_TRUE(absl::IsResourceExhausted(w.status())) << w.status();
  absl::Status f = store->Flush();
  EXPECT_TRUE(absl::IsResourceExhausted(f)) << f;
  auto c = store->Compact();
  EXPECT_TRUE(absl::IsResourceExhausted(c.status())) << c.status();
  // What was stored is intact and queryable.
  auto counts = IdCounts(store);
  EXPECT_EQ(counts.size(), 30u);
  for (int id = 0; id < 30; ++id) EXPECT_EQ(counts[id], 1) << id;

  env.SetNoSpace(false);
  ASSERT_TRUE(WriteIds(store, &l, 40, 5, kT0, kHour));  // ingest resumes
  ASSERT_TRUE(store->Flush().ok());                     // the failed flush is retried
  ASSERT_TRUE(store->Compact().ok());
  counts = IdCounts(store);
  EXPECT_EQ(counts.size(), 35u);
  for (int id : l.acked) EXPECT_EQ(counts[id], 1) << id;
  opened->reset();
  ASSERT_TRUE(env.SimulateCrash().ok());
  Verify(&mem, l, /*crashed=*/false);
}

}  // namespace
}  // namespace lode::storage
