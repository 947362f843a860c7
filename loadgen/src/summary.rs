//! `loadgen summarize FILE`: the JSON lines of several runs of one scenario (one line a run, as
//! each run prints it), summed up as the median of every figure and its spread (lowest–highest),
//! so a result is a set of runs, not one lucky or unlucky run.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The median and spread of every numeric figure of `runs`, in the order the first run lists
/// them; a table and one JSON line.
pub fn summarize(text: &str) -> anyhow::Result<String> {
    let runs: Vec<Map<String, Value>> = text
        .lines()
        .filter(|line| line.trim_start().starts_with('{'))
        .map(serde_json::from_str::<Map<String, Value>>)
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(!runs.is_empty(), "no run's JSON line to summarize");
    let mut figures: BTreeMap<usize, (String, Vec<f64>)> = BTreeMap::new();
    for run in &runs {
        for (order, name) in runs[0].keys().enumerate() {
            let Some(number) = run.get(name).and_then(Value::as_f64) else { continue };
            figures.entry(order).or_insert_with(|| (name.clone(), Vec::new())).1.push(number);
        }
    }
    let width = figures.values().map(|(name, _)| name.len()).max().unwrap_or(0);
    let scenario = runs[0].get("scenario").and_then(Value::as_str).unwrap_or("runs");
    let mut table = format!("{scenario}: median (lowest–highest) of {} runs\n", runs.len());
    let mut json = Map::new();
    json.insert("scenario".into(), Value::from(scenario));
    json.insert("runs".into(), Value::from(runs.len()));
    for (name, mut values) in figures.into_values() {
        values.sort_by(f64::total_cmp);
        let median = median(&values);
        let (low, high) = (values[0], values[values.len() - 1]);
        table.push_str(&format!("  {name:<width$}  {median} ({low}–{high})\n"));
        json.insert(name, serde_json::json!({ "median": median, "low": low, "high": high }));
    }
    Ok(format!("{table}{}", Value::Object(json)))
}

/// The median of sorted, non-empty `values`.
fn median(values: &[f64]) -> f64 {
    let middle = values.len() / 2;
    let median = if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    };
    (median * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_gets_its_median_and_spread_and_words_are_left_out() {
        let runs = "noise\n\
            {\"scenario\":\"pairs\",\"p99_ms\":3.0,\"lost\":0,\"errors\":{}}\n\
            {\"scenario\":\"pairs\",\"p99_ms\":1.0,\"lost\":2,\"errors\":{}}\n\
            {\"scenario\":\"pairs\",\"p99_ms\":2.0,\"lost\":0,\"errors\":{}}\n";
        let summary = summarize(runs).expect("summary");
        assert!(summary.contains("pairs: median (lowest–highest) of 3 runs"), "{summary}");
        assert!(summary.contains("p99_ms  2 (1–3)"), "{summary}");
        assert!(summary.contains("lost    0 (0–2)"), "{summary}");
        assert!(!summary.contains("errors"), "{summary}");
        assert!(summary.contains(r#""p99_ms":{"high":3.0,"low":1.0,"median":2.0}"#), "{summary}");
        assert_eq!(median(&[1.0, 2.0, 4.0, 10.0]), 3.0);
        assert!(summarize("no runs").is_err());
    }
}
