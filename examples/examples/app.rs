//! An application embedding the reference engine: a durable database file, a transaction,
//! and results as Arrow record batches.
//!
//! `cargo run -p llkv-examples --example app`

use llkv_reference_engine::Engine;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("llkv-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("shop.llkv");
    {
        let engine = Engine::open(&path)?;
        let mut session = engine.session();
        session.execute(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, total DECIMAL(10,2));
             BEGIN;
             INSERT INTO orders VALUES (1, 'ada', 12.50), (2, 'bob', 7.25), (3, 'ada', 3.00);
             COMMIT;",
        )?;
    }
    // Reopen: committed data is there.
    let engine = Engine::open(&path)?;
    let mut session = engine.session();
    let result = session.query(
        "SELECT customer, count(*) AS orders, sum(total) AS spent FROM orders GROUP BY customer ORDER BY customer",
    )?;
    println!(
        "{}",
        arrow::util::pretty::pretty_format_batches(&result.batches)?
    );
    drop(session);
    drop(engine);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
