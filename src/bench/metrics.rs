//! Ranking metrics over graded judgements: nDCG@k, Recall@k, MRR@k.
//!
//! A ranking is a list of hit keys (`doc_id` + citation); judgements map keys to grades
//! (2 = the defining provision, 1 = relevant). A judged provision is credited once: a second hit
//! with the same key (the same article in a second language of a bilingual treaty, say) earns
//! nothing, so a ranking cannot score by repeating a provision.

use std::collections::{HashMap, HashSet};

/// Gains of the first `k` hits: the grade of each hit's judgement, 0 when unjudged or repeated.
pub fn gains<K: Eq + std::hash::Hash>(ranking: &[K], judged: &HashMap<K, u8>, k: usize) -> Vec<u8> {
    let mut seen = HashSet::new();
    ranking
        .iter()
        .take(k)
        .map(|key| match judged.get(key) {
            Some(&g) if seen.insert(key) => g,
            _ => 0,
        })
        .collect()
}

fn dcg(gains: impl IntoIterator<Item = u8>) -> f64 {
    gains
        .into_iter()
        .enumerate()
        .map(|(i, g)| (2f64.powi(i32::from(g)) - 1.0) / ((i + 2) as f64).log2())
        .sum::<f64>()
        + 0.0 // an empty sum is -0.0
}

/// nDCG@k with exponential gain `2^grade - 1` and a `log2(rank + 1)` discount; the ideal ranking
/// is every judgement, best grade first. 0 when nothing is judged relevant.
pub fn ndcg(gains: &[u8], judged_grades: &[u8], k: usize) -> f64 {
    let mut ideal: Vec<u8> = judged_grades.iter().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    ideal.truncate(k);
    let idcg = dcg(ideal);
    if idcg == 0.0 {
        return 0.0;
    }
    dcg(gains.iter().take(k).copied()) / idcg
}

/// Recall@k: the share of relevant judgements (grade ≥ 1) found in the first `k` hits.
pub fn recall(gains: &[u8], judged_grades: &[u8], k: usize) -> f64 {
    let relevant = judged_grades.iter().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = gains.iter().take(k).filter(|&&g| g > 0).count();
    found as f64 / relevant as f64
}

/// MRR@k: the reciprocal rank of the first relevant hit within the first `k`, else 0.
pub fn mrr(gains: &[u8], k: usize) -> f64 {
    gains
        .iter()
        .take(k)
        .position(|&g| g > 0)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// Average precision@k: the mean, over the relevant judgements, of the precision at the rank
/// each was found (0 for those not found in the first `k`); MAP is its mean over queries.
pub fn average_precision(gains: &[u8], judged_grades: &[u8], k: usize) -> f64 {
    let relevant = judged_grades.iter().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let mut found = 0usize;
    let mut sum = 0.0;
    for (i, g) in gains.iter().take(k).enumerate() {
        if *g > 0 {
            found += 1;
            sum += found as f64 / (i + 1) as f64;
        }
    }
    sum / relevant as f64
}

/// The metrics of one query.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Scores {
    pub ndcg: f64,
    pub recall: f64,
    pub mrr: f64,
    /// Average precision@k (its mean over queries is MAP).
    pub ap: f64,
}

impl Scores {
    pub fn of(gains: &[u8], judged_grades: &[u8], k: usize) -> Scores {
        Scores {
            ndcg: ndcg(gains, judged_grades, k),
            recall: recall(gains, judged_grades, k),
            mrr: mrr(gains, k),
            ap: average_precision(gains, judged_grades, k),
        }
    }

    /// The arithmetic mean of each metric.
    pub fn mean(all: &[Scores]) -> Scores {
        if all.is_empty() {
            return Scores::default();
        }
        let n = all.len() as f64;
        Scores {
            ndcg: all.iter().map(|s| s.ndcg).sum::<f64>() / n,
            recall: all.iter().map(|s| s.recall).sum::<f64>() / n,
            mrr: all.iter().map(|s| s.mrr).sum::<f64>() / n,
            ap: all.iter().map(|s| s.ap).sum::<f64>() / n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_ranking_scores_one() {
        let g = [2, 1, 1];
        assert!((ndcg(&g, &[1, 2, 1], 10) - 1.0).abs() < 1e-12);
        assert_eq!(recall(&g, &[1, 2, 1], 10), 1.0);
        assert_eq!(mrr(&g, 10), 1.0);
    }

    #[test]
    fn average_precision_rewards_early_hits() {
        // Two relevant, found at ranks 1 and 3: (1/1 + 2/3) / 2.
        let ap = average_precision(&[2, 0, 1], &[2, 1], 10);
        assert!((ap - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        // One of two relevant never found: it counts as 0.
        assert!((average_precision(&[0, 1], &[1, 1], 10) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn repeated_keys_are_credited_once() {
        let judged: HashMap<&str, u8> = [("a", 2), ("b", 1)].into_iter().collect();
        assert_eq!(gains(&["x", "a", "a", "b"], &judged, 10), vec![0, 2, 0, 1]);
        assert_eq!(gains(&["x", "a", "a", "b"], &judged, 2), vec![0, 2]);
    }
}
