//! Background jobs: loading, preparing geometry for drawing, (later) checking,
//! exporting and saving run on worker threads so the UI thread only draws.
//!
//! A [`Job`] has a name (the progress label), a progress fraction and a cancel flag
//! shared with the worker, and a channel that carries its one result. The app polls
//! jobs in `logic` with [`Job::poll`]; the worker wakes the UI with
//! `ctx.request_repaint()` whenever it reports progress or finishes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};

use eframe::egui;

/// Identifies a job for the cancel button and for results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// A fraction in 0..=1 shared between threads (an `f32` stored as bits).
#[derive(Debug, Default)]
pub struct Progress(AtomicU32);

impl Progress {
    pub fn set(&self, fraction: f32) {
        self.0
            .store(fraction.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }
    pub fn get(&self) -> f32 {
        f32::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// What a worker gets: where to report progress and whether to stop.
#[derive(Clone)]
pub struct JobContext {
    progress: Arc<Progress>,
    cancel: Arc<AtomicBool>,
    repaint: Option<egui::Context>,
}

impl JobContext {
    /// Report progress (0..=1) and wake the UI.
    pub fn set_progress(&self, fraction: f32) {
        self.progress.set(fraction);
        self.request_repaint();
    }

    /// The cancel flag itself, for engine functions that poll one (`run_check`).
    pub fn cancel_flag(&self) -> &AtomicBool {
        &self.cancel
    }

    /// True once the user pressed cancel; the worker should return soon.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn request_repaint(&self) {
        if let Some(ctx) = &self.repaint {
            ctx.request_repaint();
        }
    }
}

/// A running (or finished, not yet collected) background job.
pub struct Job<T> {
    pub id: JobId,
    /// Shown next to the progress bar.
    pub name: String,
    /// Whether the status bar lists it (internal redraw preparation does not).
    pub visible: bool,
    pub progress: Arc<Progress>,
    pub cancel: Arc<AtomicBool>,
    result: Receiver<T>,
}

/// What polling a job gives.
pub enum Poll<T> {
    Running,
    Done(T),
    /// The worker ended without a result (it panicked).
    Lost,
}

impl<T: Send + 'static> Job<T> {
    /// Start `work` on a new thread. `repaint` is woken on progress and at the end.
    pub fn spawn(
        id: JobId,
        name: impl Into<String>,
        repaint: Option<egui::Context>,
        work: impl FnOnce(&JobContext) -> T + Send + 'static,
    ) -> Job<T> {
        let progress = Arc::new(Progress::default());
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let jc = JobContext {
            progress: progress.clone(),
            cancel: cancel.clone(),
            repaint,
        };
        let name = name.into();
        let spawned = std::thread::Builder::new()
            .name(format!("job {}", id.0))
            .spawn(move || {
                let out = work(&jc);
                // The receiver is gone only if the app dropped the job: nothing to do.
                let _ = tx.send(out);
                jc.request_repaint();
            });
        if spawned.is_err() {
            // No thread could be started: the job reports `Lost` on first poll
            // (the sender was moved into the closure and dropped with it).
        }
        Job {
            id,
            name,
            visible: true,
            progress,
            cancel,
            result: rx,
        }
    }

    /// Check for the result without waiting.
    pub fn poll(&self) -> Poll<T> {
        match self.result.try_recv() {
            Ok(v) => Poll::Done(v),
            Err(TryRecvError::Empty) => Poll::Running,
            Err(TryRecvError::Disconnected) => Poll::Lost,
        }
    }

    /// Ask the worker to stop.
    pub fn request_cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancel_requested(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait<T: Send + 'static>(job: &Job<T>) -> Option<T> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            match job.poll() {
                Poll::Done(v) => return Some(v),
                Poll::Lost => return None,
                Poll::Running => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        None
    }

    #[test]
    fn a_job_delivers_its_result_and_progress() {
        let job = Job::spawn(JobId(1), "sum", None, |jc| {
            jc.set_progress(0.5);
            (1..=10).sum::<u32>()
        });
        assert_eq!(wait(&job), Some(55));
        assert_eq!(job.progress.get(), 0.5);
    }

    #[test]
    fn a_cancelled_job_sees_the_flag() {
        let job = Job::spawn(JobId(2), "spin", None, |jc| {
            let start = Instant::now();
            while !jc.is_cancelled() {
                if start.elapsed() > Duration::from_secs(5) {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            true
        });
        job.request_cancel();
        assert_eq!(wait(&job), Some(true));
    }

    #[test]
    fn a_panicking_job_is_reported_lost() {
        let job: Job<u32> = Job::spawn(JobId(3), "boom", None, |_| panic!("worker failed"));
        assert!(wait(&job).is_none());
    }

    #[test]
    fn progress_is_clamped_to_a_fraction() {
        let p = Progress::default();
        p.set(3.0);
        assert_eq!(p.get(), 1.0);
        p.set(-1.0);
        assert_eq!(p.get(), 0.0);
    }
}
