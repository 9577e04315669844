//! The hub thread: a runtime of its own for the work every participant waits on.
//!
//! On the shared runtime, each wake of a dialogue task (a submission arrived, a
//! commit came back) and each read of a moderator's socket queued behind the
//! writer tasks the previous event woke: up to one per participant. At 10,000
//! participants that put hundreds of milliseconds between a moderator's approval
//! and its commit. Here the dialogue tasks and the staff connections run on one
//! thread that nothing else crowds; the participants' writers stay on the shared
//! runtime.
//!
//! Sockets stay registered with the runtime that accepted them, which goes on
//! polling them for readiness; only the tasks that read and write them run here.

use tokio::runtime::Handle;
use tokio::sync::oneshot;

pub struct HubThread {
    handle: Handle,
    /// Dropping it ends the thread, and with it every task still on it.
    _stop: oneshot::Sender<()>,
}

impl HubThread {
    pub fn start() -> std::io::Result<HubThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name("dialoghub-hub")
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("dialoghub-hub".into())
            .spawn(move || {
                let _ = runtime.block_on(stopped);
                // Blocking work started here (if any) gets a moment; it is not waited for.
                runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            })?;
        Ok(HubThread {
            handle,
            _stop: stop,
        })
    }

    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}
