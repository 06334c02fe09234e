//! `cargo drill KIND`: prints a problem, reads your answer (or takes it from
//! `--answer`), says whether it is right, and explains.
//!
//! Exit status: 0 right (or `--solution`/`--all`), 1 wrong, 2 usage error.

use clap::{Parser, Subcommand};
use drill::{cow, fork_tree, states, wait_order};
use std::io::{BufRead, Write};

#[derive(Debug, Parser)]
#[command(name = "cargo drill", bin_name = "cargo drill", version, about)]
struct Args {
    #[command(subcommand)]
    kind: Kind,
}

#[derive(Debug, clap::Args)]
struct Common {
    /// Which problem: the same seed always gives the same one [default: a new one].
    #[arg(long)]
    seed: Option<u64>,
    /// Your answer; without it, you are asked for one.
    #[arg(long)]
    answer: Option<String>,
    /// Show the solution and its explanation without asking.
    #[arg(long)]
    solution: bool,
}

#[derive(Debug, Subcommand)]
enum Kind {
    /// Forks and exits by named processes: draw the tree that is left.
    ForkTree {
        #[command(flatten)]
        common: Common,
        /// Show the tree and ask for actions that build it.
        #[arg(long)]
        reverse: bool,
    },
    /// A fork/wait/print program: give an order its output can come in.
    WaitOrder {
        #[command(flatten)]
        common: Common,
        /// List every order the program can print.
        #[arg(long)]
        all: bool,
    },
    /// Forks, sleeps, wake-ups, exits and waits: each task's STAT letter.
    States {
        #[command(flatten)]
        common: Common,
    },
    /// Forks and writes under copy-on-write: copies and reference counts.
    Cow {
        #[command(flatten)]
        common: Common,
    },
}

fn main() {
    let args = Args::parse();
    let right = match args.kind {
        Kind::ForkTree { common, reverse: false } => fork_tree(&common),
        Kind::ForkTree { common, reverse: true } => fork_tree_reverse(&common),
        Kind::WaitOrder { common, all } => wait_order(&common, all),
        Kind::States { common } => states(&common),
        Kind::Cow { common } => cow(&common),
    };
    std::process::exit(if right { 0 } else { 1 })
}

fn seed(c: &Common) -> u64 {
    c.seed.unwrap_or_else(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        t.map_or(0, |d| d.as_nanos() as u64 % 10_000)
    })
}

/// The answer from `--answer`, or one line from standard input; `None`
/// with `--solution`.
fn answer(c: &Common, prompt: &str) -> Option<String> {
    if c.solution {
        return None;
    }
    if let Some(a) = &c.answer {
        return Some(a.clone());
    }
    print!("{prompt}\n> ");
    std::io::stdout().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok();
    Some(line)
}

fn usage(msg: &str) -> ! {
    eprintln!("cargo drill: {msg}");
    std::process::exit(2)
}

fn verdict(right: bool) -> bool {
    println!("{}", if right { "Right." } else { "Not quite." });
    right
}

fn fork_tree(c: &Common) -> bool {
    let seed = seed(c);
    let actions = fork_tree::generate(seed);
    println!("fork-tree, seed {seed}. Starting from init alone:");
    for (i, a) in actions.iter().enumerate() {
        println!("  {}. {a}", i + 1);
    }
    let prompt = "Which processes are left, and who is each one's parent?\n\
                  Write CHILD:PARENT for each, with :Z after a zombie (e.g. a:init b:a:Z).";
    let given = answer(c, prompt);
    let right_tree = fork_tree::solve(&actions).expect("generated actions are valid");
    let ok = match &given {
        None => true,
        Some(text) => match fork_tree::parse_tree(text) {
            Err(e) => usage(&e),
            Ok(tree) if tree == right_tree => verdict(true),
            Ok(tree) => {
                verdict(false);
                for d in fork_tree::differences(&right_tree, &tree) {
                    println!("  {d}");
                }
                false
            }
        },
    };
    println!("\nStep by step:");
    let mut tree = fork_tree::Tree::new();
    for (i, a) in actions.iter().enumerate() {
        let said = fork_tree::apply(&mut tree, a).expect("valid");
        println!("  {}. {a}: {said}", i + 1);
    }
    println!("\n{}\nAnswer: {}", fork_tree::draw(&right_tree), fork_tree::format_tree(&right_tree));
    ok
}

fn fork_tree_reverse(c: &Common) -> bool {
    let seed = seed(c);
    let actions = fork_tree::generate(seed);
    let target = fork_tree::solve(&actions).expect("generated actions are valid");
    println!("fork-tree --reverse, seed {seed}. This tree is left at the end:\n");
    print!("{}", fork_tree::draw(&target));
    let prompt = "\nWhich forks and exits, starting from init alone, leave exactly this tree?\n\
                  Write them in order, separated by commas: `init forks a, a forks b, a exits`.";
    let Some(text) = answer(c, prompt) else {
        println!("\nOne way: {}", join(&actions));
        return true;
    };
    let mine = fork_tree::parse_actions(&text).unwrap_or_else(|e| usage(&e));
    let ok = match fork_tree::solve(&mine) {
        Err(e) => {
            verdict(false);
            println!("  {e}");
            false
        }
        Ok(tree) if tree == target => verdict(true),
        Ok(tree) => {
            verdict(false);
            println!("Your actions leave:\n{}", fork_tree::draw(&tree));
            for d in fork_tree::differences(&target, &tree) {
                println!("  {d}");
            }
            false
        }
    };
    println!("\nOne way (there are others): {}", join(&actions));
    ok
}

fn join(actions: &[fork_tree::Action]) -> String {
    actions.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

fn wait_order(c: &Common, all: bool) -> bool {
    let seed = seed(c);
    let program = wait_order::generate(seed);
    let orders = wait_order::all_orders(&program);
    println!("wait-order, seed {seed}. Each println! is one write to the same terminal.\n");
    print!("{}", wait_order::render(&program));
    if all {
        println!("\nThe {} orders this program can print:", orders.len());
        for o in &orders {
            println!("  {o}");
        }
        return true;
    }
    let Some(text) = answer(c, "\nGive one order the output can come in, e.g. ABCD.") else {
        println!(
            "\n{} orders are possible, for example {}.",
            orders.len(),
            orders.first().unwrap()
        );
        return true;
    };
    let given = wait_order::parse_order(&text);
    let ok = verdict(orders.contains(&given));
    if ok {
        println!("{given} is one of the {} possible orders.", orders.len());
    } else {
        println!("{}", wait_order::explain_wrong(&program, &given));
        println!("{} orders are possible; `--all` lists them.", orders.len());
    }
    ok
}

fn states(c: &Common) -> bool {
    let seed = seed(c);
    let p = states::generate(seed);
    let names: Vec<String> = (1..=p.tasks).map(states::task_name).collect();
    println!("states, seed {seed}.");
    print!("{}", states::render(&p));
    let prompt = format!(
        "After each step, what is the STAT letter of {}? R, S, Z, or - for no such task.\n\
         Write one word per step, e.g. `{}` for step 1.",
        names.join(", "),
        states::solve(&p)[0].chars().map(|_| 'R').collect::<String>()
    );
    let right = states::solve(&p);
    let mine = answer(c, &prompt).map(|t| states::parse(&t, &p).unwrap_or_else(|e| usage(&e)));
    let ok = mine.as_ref().is_none_or(|m| verdict(*m == right));
    println!("\nstep  {}", names.join(" "));
    let mut w = states::World::new(p.tasks);
    for (i, e) in p.events.iter().enumerate() {
        let said = w.apply(*e);
        let spaced: Vec<String> = right[i].chars().map(String::from).collect();
        let mark = match &mine {
            Some(m) if m[i] != right[i] => format!("   <- you said {}", m[i]),
            _ => String::new(),
        };
        println!("{:>4}  {}{mark}\n      {e}: {said}", i + 1, spaced.join(" "));
    }
    ok
}

fn cow(c: &Common) -> bool {
    let seed = seed(c);
    let events = cow::generate(seed);
    println!("cow, seed {seed}.");
    print!("{}", cow::render(&events));
    let prompt = "How many frames were copied? For each page, what is the reference count of\n\
                  each frame holding it at the end? e.g. `2; code 3; A 2 1; B 3; C 1 1 1`";
    let right = cow::solve(&events);
    let ok = match answer(c, prompt) {
        None => true,
        Some(text) => {
            let mine = cow::parse(&text).unwrap_or_else(|e| usage(&e));
            verdict(mine == right)
        }
    };
    println!("\nStep by step:");
    let mut m = cow::Machine::new();
    for (i, e) in events.iter().enumerate() {
        println!("  {}. {e}: {}", i + 1, m.apply(e));
    }
    println!("Answer: {}", cow::format(&right));
    ok
}
