//! Step timeline with bounded memory.
//!
//! Once the timeline holds its maximum number of points, neighbouring points
//! are merged in pairs and later steps are merged in groups of twice the
//! size. A merged point carries the maximum of every signal over the steps it
//! replaces, at the step where the retained bytes peaked, so no local peak
//! of any signal is lost.

use crate::results::{StepPoint, Timeline};

pub struct TimelineRecorder {
    max_points: usize,
    /// Steps merged into one point from now on.
    stride: u64,
    points: Vec<StepPoint>,
    pending: Option<StepPoint>,
    pending_count: u64,
    recorded_steps: u64,
}

impl TimelineRecorder {
    pub fn new(max_points: usize) -> Self {
        Self {
            max_points: max_points.max(2),
            stride: 1,
            points: Vec::with_capacity(max_points.max(2)),
            pending: None,
            pending_count: 0,
            recorded_steps: 0,
        }
    }

    pub fn record(&mut self, point: StepPoint) {
        self.recorded_steps += 1;
        // Points never merge across an epoch boundary.
        if let Some(pending) = self.pending {
            if pending.epoch != point.epoch {
                self.flush();
            }
        }
        self.pending = Some(match self.pending {
            Some(pending) => merge(pending, point),
            None => point,
        });
        self.pending_count += 1;
        if self.pending_count >= self.stride {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if let Some(point) = self.pending.take() {
            self.points.push(point);
            self.pending_count = 0;
        }
        if self.points.len() >= self.max_points {
            self.points = self
                .points
                .chunks(2)
                .map(|pair| match pair {
                    [a, b] if a.epoch == b.epoch => merge(*a, *b),
                    [a, b] => {
                        // Keep the later epoch's point so the boundary stays visible.
                        let mut kept = *b;
                        kept.retained_bytes = kept.retained_bytes.max(a.retained_bytes);
                        kept
                    }
                    [a] => *a,
                    _ => unreachable!("chunks(2) yields one or two points"),
                })
                .collect();
            self.stride *= 2;
        }
    }

    pub fn finish(mut self) -> Timeline {
        self.flush();
        Timeline { recorded_steps: self.recorded_steps, points: self.points }
    }
}

fn max_option(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn merge(a: StepPoint, b: StepPoint) -> StepPoint {
    StepPoint {
        step: if b.retained_bytes > a.retained_bytes { b.step } else { a.step },
        epoch: b.epoch,
        retained_bytes: a.retained_bytes.max(b.retained_bytes),
        cpu_allocated_bytes: a.cpu_allocated_bytes.max(b.cpu_allocated_bytes),
        cuda_allocated_bytes: max_option(a.cuda_allocated_bytes, b.cuda_allocated_bytes),
        cuda_reserved_bytes: max_option(a.cuda_reserved_bytes, b.cuda_reserved_bytes),
        rss_bytes: a.rss_bytes.max(b.rss_bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(step: u64, epoch: u32, bytes: u64) -> StepPoint {
        StepPoint {
            step,
            epoch,
            retained_bytes: bytes,
            cpu_allocated_bytes: bytes * 2,
            cuda_allocated_bytes: None,
            cuda_reserved_bytes: None,
            rss_bytes: 1,
        }
    }

    #[test]
    fn timeline_short_run_keeps_every_step() {
        let mut recorder = TimelineRecorder::new(100);
        for step in 1..=10 {
            recorder.record(point(step, 1, step * 10));
        }
        let timeline = recorder.finish();
        assert_eq!(timeline.recorded_steps, 10);
        assert_eq!(timeline.points.len(), 10);
    }

    #[test]
    fn timeline_long_run_stays_bounded_and_keeps_peaks() {
        let mut recorder = TimelineRecorder::new(64);
        // A saw-tooth: one spike of 1_000_000 at step 5_001, else small values.
        for step in 1..=10_000u64 {
            let bytes = if step == 5_001 { 1_000_000 } else { step % 7 };
            recorder.record(point(step, (step / 2_500) as u32 + 1, bytes));
        }
        let timeline = recorder.finish();
        assert!(timeline.points.len() <= 64, "{} points", timeline.points.len());
        let spike = timeline.points.iter().find(|p| p.retained_bytes == 1_000_000);
        assert_eq!(spike.map(|p| p.step), Some(5_001));
        assert_eq!(spike.map(|p| p.cpu_allocated_bytes), Some(2_000_000));
        let epochs: std::collections::BTreeSet<u32> = timeline.points.iter().map(|p| p.epoch).collect();
        assert_eq!(epochs.len(), 5, "every epoch keeps at least one point");
    }
}
