//! The trace as a web page: the process tree over time, each task a row of
//! coloured bars (its states), forks and adoptions drawn between the rows,
//! then the timeline and the console. One self-contained file: inline CSS
//! and SVG, no script, nothing fetched.

use super::text::{timeline, tree_order};
use super::{Event, IDLE, Pid, State, Timed, Trace};
use std::fmt::Write;

const CHART_WIDTH: f64 = 960.0;
const LABEL_WIDTH: f64 = 170.0;
const ROW: f64 = 22.0;
const BAR: f64 = 14.0;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}\
h1{font-size:20px}h2{font-size:16px;margin-top:28px}\
pre{background:#f6f6f6;padding:10px;overflow-x:auto;font:12px/1.35 monospace}\
.key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 14px;vertical-align:-1px}\
svg text{font:12px monospace}";

/// Each state's colour and name in the legend.
const STATES: [(State, &str, &str); 4] = [
    (State::Running, "#2e7d32", "running (on the CPU)"),
    (State::Runnable, "#a5d6a7", "runnable (waiting for the CPU)"),
    (State::Sleeping, "#90a4ae", "sleeping"),
    (State::Zombie, "#c62828", "zombie"),
];

fn colour(state: State) -> &'static str {
    STATES.iter().find(|s| s.0 == state).map_or("#000", |s| s.1)
}

/// `text` with the characters HTML gives a meaning escaped.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The page for a boot: `title` (the command), its trace and its console.
pub fn page(title: &str, trace: &Trace, serial: &str) -> String {
    let tasks = trace.tasks();
    let key: String = STATES
        .iter()
        .map(|(_, colour, name)| format!("<span style=\"background:{colour}\"></span>{name}"))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n\
         <p>{n} events over {ticks} ticks of 10 ms. Each row is a task, under the task that forked it; \
         grey lines are forks, dashed orange lines adoptions by init, a black bar a reap.</p>\n\
         <h2>The process tree over time</h2>\n<p class=\"key\">{key}</p>\n{chart}\
         <h2>Timeline</h2>\n<pre>{timeline}</pre>\n<h2>Console</h2>\n<pre>{console}</pre>\n</body>\n</html>\n",
        t = escape(title),
        n = trace.events.len(),
        ticks = trace.end() + 1,
        chart = chart(trace),
        timeline = escape(&timeline(trace, &tasks)),
        console = escape(serial),
    )
}

/// Where event `i` sits on the time axis, in ticks: its tick, plus its rank
/// among the events of that tick, so that order within a tick shows. Frame
/// events, which come by the dozen, take no room of their own.
fn positions(trace: &Trace) -> Vec<f64> {
    let counts = |e: &Timed| !matches!(e.event, Event::Alloc { .. } | Event::Free { .. });
    let mut out = Vec::with_capacity(trace.events.len());
    let mut start = 0;
    while start < trace.events.len() {
        let t = trace.events[start].t;
        let tick =
            &trace.events[start..][..trace.events[start..].iter().take_while(|e| e.t == t).count()];
        let n = tick.iter().filter(|e| counts(e)).count().max(1) as f64;
        let mut rank = 0.0;
        for e in tick {
            out.push(t as f64 + rank / n);
            rank += if counts(e) { 1.0 } else { 0.0 };
        }
        start += tick.len();
    }
    out
}

/// The SVG chart: an axis, a row for idle, then a row per task.
fn chart(trace: &Trace) -> String {
    let tasks = trace.tasks();
    let order = tree_order(&tasks);
    let pos = positions(trace);
    let end = trace.end() as f64 + 1.0;
    let scale = CHART_WIDTH / end;
    let x = |at: f64| LABEL_WIDTH + at * scale;
    let row_y = |row: usize| 24.0 + row as f64 * ROW;
    let height = row_y(order.len() + 1) + 8.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\">\n",
        LABEL_WIDTH + CHART_WIDTH + 20.0
    );
    let step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
        .into_iter()
        .find(|s| end / *s as f64 <= 20.0)
        .unwrap_or(1000);
    for t in (0..=trace.end()).step_by(step) {
        let _ = writeln!(
            svg,
            "<line x1=\"{0}\" y1=\"14\" x2=\"{0}\" y2=\"{1}\" stroke=\"#eee\"/><text x=\"{0}\" y=\"11\">{t}</text>",
            x(t as f64),
            height - 8.0
        );
    }
    let bar = |svg: &mut String, row: usize, from: f64, to: f64, fill: &str, tip: &str| {
        let _ = writeln!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BAR}\" fill=\"{fill}\"><title>{}</title></rect>",
            x(from),
            row_y(row) - BAR / 2.0,
            ((to - from) * scale).max(1.0),
            escape(tip)
        );
    };
    // Idle: from each switch to it (or the start) to the next switch away.
    let _ = writeln!(svg, "<text x=\"4\" y=\"{}\">idle[0]</text>", row_y(0) + 4.0);
    let on_cpu = trace.on_cpu();
    let mut since = Some(0.0);
    for (i, now) in on_cpu.iter().enumerate() {
        match (since, *now) {
            (None, IDLE) => since = Some(pos[i]),
            (Some(from), pid) if pid != IDLE => {
                bar(&mut svg, 0, from, pos[i], colour(State::Running), "idle runs");
                since = None;
            }
            _ => {}
        }
    }
    if let Some(from) = since {
        bar(&mut svg, 0, from, end, colour(State::Running), "idle runs");
    }
    let row_of = |pid: Pid| order.iter().position(|o| o.0 == pid).map(|r| r + 1);
    for (r, &(pid, depth, _)) in order.iter().enumerate() {
        let task = &tasks[&pid];
        let label = Trace::label(&tasks, pid);
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            4 + depth * 12,
            row_y(r + 1) + 4.0,
            escape(&label)
        );
        let gone = task.reaped.map(|_| reap_index(trace, pid));
        for (k, &(i, state)) in task.states.iter().enumerate().filter(|(_, s)| s.1 != State::Dead) {
            let until = task.states.get(k + 1).map(|s| pos[s.0]);
            let until = until.or(gone.map(|g| pos[g])).unwrap_or(end);
            let tip = format!("{label}: {state:?} from tick {}", trace.events[i].t);
            bar(&mut svg, r + 1, pos[i], until, colour(state), &tip);
        }
        if let Some(g) = gone {
            let _ = writeln!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"2\" height=\"{BAR}\" fill=\"#000\"><title>reaped at tick {}</title></rect>",
                x(pos[g]),
                row_y(r + 1) - BAR / 2.0,
                trace.events[g].t
            );
        }
    }
    // Forks and adoptions, drawn from the parent's row to the child's.
    for (i, e) in trace.events.iter().enumerate() {
        let (from, to, style) = match e.event {
            Event::Fork { parent, child, .. } => (parent, child, "stroke=\"#888\""),
            Event::Reparent { pid, new, .. } => {
                (new, pid, "stroke=\"#ef6c00\" stroke-dasharray=\"3,2\"")
            }
            _ => continue,
        };
        let (Some(a), Some(b)) = (row_of(from).or((from == IDLE).then_some(0)), row_of(to)) else {
            continue;
        };
        let _ = writeln!(
            svg,
            "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" {style}/>",
            x(pos[i]),
            row_y(a),
            row_y(b)
        );
    }
    svg + "</svg>\n"
}

fn reap_index(trace: &Trace, pid: Pid) -> usize {
    trace
        .events
        .iter()
        .position(|e| matches!(e.event, Event::Reap { pid: p, .. } if p == pid))
        .unwrap_or(trace.events.len() - 1)
}
