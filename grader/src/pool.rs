//! Runs jobs a few at a time: tests and boots are slow and mostly wait, but
//! each one is a whole process (or QEMU), and the machine may be small.

use std::sync::Mutex;

pub const WORKERS: usize = 2;

/// Applies `f` to every item, at most `WORKERS` at once; results keep the
/// order of `items`.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..WORKERS.min(items.len()) {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    results.lock().unwrap()[i] = Some(r);
                }
            });
        }
    });
    results.into_inner().unwrap().into_iter().map(|r| r.expect("every job ran")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_and_runs_everything() {
        let items: Vec<u32> = (0..17).collect();
        assert_eq!(super::map(&items, |x| x * 2), items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(super::map(&Vec::<u32>::new(), |x| *x).is_empty());
    }
}
