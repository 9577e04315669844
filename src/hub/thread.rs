//! The hub threads: runtimes of their own for the work every participant waits on.
//!
//! On the shared runtime, each wake of a dialogue task (a submission arrived, a
//! commit came back) and each read of a moderator's socket queued behind the
//! writer tasks the previous event woke: up to one per participant. At 10,000
//! participants that put hundreds of milliseconds between a moderator's approval
//! and its commit. Here the dialogue tasks and the staff connections run on hub
//! threads that nothing else crowds; the participants' writers stay on the
//! shared runtime.
//!
//! There are `hub.threads` of them (by default one per core), each a
//! single-threaded runtime. A dialogue is placed on the thread with the fewest
//! dialogues when it is loaded and stays there until it leaves memory, and its
//! staff connections run on the same thread: so each thread keeps the promise
//! one thread kept for all, and many dialogues use every core. One dialogue
//! still has one writer, its task, on one thread.
//!
//! Sockets stay registered with the runtime that accepted them, which goes on
//! polling them for readiness; only the tasks that read and write them run here.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

struct HubThread {
    handle: Handle,
    /// Dialogues placed here and still in memory.
    dialogues: Arc<AtomicUsize>,
    /// Dropping it ends the thread, and with it every task still on it.
    _stop: oneshot::Sender<()>,
}

impl HubThread {
    fn start(index: usize) -> std::io::Result<HubThread> {
        let name = format!("dialoghub-hub-{index}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name(&name)
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new().name(name).spawn(move || {
            let _ = runtime.block_on(stopped);
            // Blocking work started here (if any) gets a moment; it is not waited for.
            runtime.shutdown_timeout(Duration::from_secs(1));
        })?;
        Ok(HubThread {
            handle,
            dialogues: Arc::new(AtomicUsize::new(0)),
            _stop: stop,
        })
    }
}

/// The hub threads of this process.
pub struct HubThreads {
    threads: Vec<HubThread>,
}

/// Where a dialogue runs: its thread, and its place in that thread's count,
/// given back when the dialogue's task ends (the `Placement` is dropped with it).
pub struct Placement {
    pub index: usize,
    pub handle: Handle,
    dialogues: Arc<AtomicUsize>,
}

impl Drop for Placement {
    fn drop(&mut self) {
        self.dialogues.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What one hub thread holds and has done, for `/metrics`.
pub struct ThreadLoad {
    pub dialogues: usize,
    /// Time the thread spent running tasks since it started.
    pub busy: Duration,
}

impl HubThreads {
    /// Starts `count` threads; 0 means one per core the process may use.
    pub fn start(count: usize) -> std::io::Result<HubThreads> {
        let count = match count {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let threads = (0..count)
            .map(HubThread::start)
            .collect::<std::io::Result<_>>()?;
        Ok(HubThreads { threads })
    }

    pub fn count(&self) -> usize {
        self.threads.len()
    }

    /// The thread with the fewest dialogues (the first of equals), counted in.
    /// Dialogues differ in size, but which will be large is not known at load
    /// time, and a count needs no measurement that could itself be wrong.
    pub fn place(&self) -> Placement {
        let (index, thread) = self
            .threads
            .iter()
            .enumerate()
            .min_by_key(|(_, t)| t.dialogues.load(Ordering::Relaxed))
            .expect("at least one hub thread");
        thread.dialogues.fetch_add(1, Ordering::Relaxed);
        Placement {
            index,
            handle: thread.handle.clone(),
            dialogues: thread.dialogues.clone(),
        }
    }

    pub fn loads(&self) -> Vec<ThreadLoad> {
        self.threads
            .iter()
            .map(|t| ThreadLoad {
                dialogues: t.dialogues.load(Ordering::Relaxed),
                busy: t.handle.metrics().worker_total_busy_duration(0),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialogues_go_to_the_thread_with_the_fewest_and_leave_it_when_unloaded() {
        let threads = HubThreads::start(2).unwrap();
        let a = threads.place();
        let b = threads.place();
        assert_eq!((a.index, b.index), (0, 1));
        let c = threads.place();
        assert_eq!(c.index, 0);
        drop(a);
        drop(c);
        // Thread 0 is empty again, thread 1 still holds b.
        assert_eq!(threads.place().index, 0);
        let loads: Vec<usize> = threads.loads().iter().map(|l| l.dialogues).collect();
        assert_eq!(loads, vec![0, 1], "the placement just made was dropped");
    }

    #[test]
    fn zero_threads_means_one_per_core() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(HubThreads::start(0).unwrap().count(), cores);
        assert_eq!(HubThreads::start(1).unwrap().count(), 1);
    }
}
