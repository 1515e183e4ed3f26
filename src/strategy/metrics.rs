//! Running epoch metrics. Every strategy feeds batches through the same
//! accumulator in the same order, so equal inputs give bit-equal metrics.

use tch::{Kind, Tensor};

use crate::results::PhaseMetrics;

#[derive(Debug, Default, Clone)]
pub struct MetricAccumulator {
    weighted_loss_sum: f64,
    correct: i64,
    samples: u64,
    updates: u64,
}

impl MetricAccumulator {
    /// Adds one batch: its mean loss (scalar), logits and int64 targets.
    pub fn update(&mut self, loss: &Tensor, logits: &Tensor, targets: &Tensor, batch_size: u64) {
        self.weighted_loss_sum += loss.double_value(&[]) * batch_size as f64;
        let predictions = logits.argmax(-1, false);
        self.correct += predictions.eq_tensor(targets).sum(Kind::Int64).int64_value(&[]);
        self.samples += batch_size;
        self.updates += 1;
    }

    /// Metrics so far; loss and accuracy are `None` when no batch arrived.
    pub fn finish(&self) -> PhaseMetrics {
        let seen = self.samples > 0;
        PhaseMetrics {
            mean_loss: seen.then(|| self.weighted_loss_sum / self.samples as f64),
            accuracy: seen.then(|| self.correct as f64 / self.samples as f64),
            samples: self.samples,
            metric_updates: self.updates,
        }
    }
}
