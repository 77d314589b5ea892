//! Differential random testing: a seeded stream of commands across every type, over colliding
//! keys, sent to redis-server and to the server under test; every reply must agree, and at the
//! end the whole keyspace is compared. A failure names the seed and step to replay.

use redoubt_tests::{compare_keyspace, CommandGenerator, Pair};

const STEPS: usize = 2000;

fn run_seed(seed: u64, protocol: u8, steps: usize) {
    let mut pair = Pair::new();
    if protocol == 3 {
        pair.hello(3);
    }
    let mut generator = CommandGenerator::new(seed);
    for step in 0..steps {
        let command = generator.next_command();
        pair.set_context(format!("seed {seed}, RESP{protocol}, step {step}"));
        pair.check_with(&command.args, command.compare);
    }
    pair.set_context(format!("seed {seed}, RESP{protocol}, final keyspace"));
    compare_keyspace(&mut pair);
}

#[test]
fn seed_1() {
    run_seed(1, 2, STEPS);
}

#[test]
fn seed_2() {
    run_seed(2, 2, STEPS);
}

#[test]
fn seed_3() {
    run_seed(3, 2, STEPS);
}

#[test]
fn seed_4() {
    run_seed(4, 2, STEPS);
}

#[test]
fn seed_5() {
    run_seed(5, 2, STEPS);
}

#[test]
fn seed_6_resp3() {
    run_seed(6, 3, STEPS);
}

#[test]
fn seed_7_resp3() {
    run_seed(7, 3, STEPS);
}

/// Any extra seed from the environment, for replaying or soaking: `RANDOM_SEED=123 RANDOM_STEPS=10000`.
#[test]
fn seed_from_env() {
    let Some(seed) = std::env::var("RANDOM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    else {
        return;
    };
    let steps = std::env::var("RANDOM_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(STEPS);
    let protocol = std::env::var("RANDOM_PROTOCOL")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    run_seed(seed, protocol, steps);
}
