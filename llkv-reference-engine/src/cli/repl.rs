//! The interactive loop: rustyline line editing and history around a [`Shell`].

use std::io::Write;
use std::path::PathBuf;

use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use super::shell::Shell;

/// Where the history is kept: `$HOME/.llkv_history`, if `HOME` is set.
fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".llkv_history"))
}

/// Reads lines from the terminal until `.quit`, end of input (Ctrl-D) or a read error.
/// Ctrl-C forgets the statement being typed. Returns an error only when the line editor
/// cannot start.
pub fn run<O: Write, E: Write>(shell: &mut Shell<O, E>) -> Result<(), String> {
    let mut editor =
        DefaultEditor::new().map_err(|e| format!("cannot start the line editor: {e}"))?;
    let history = history_path();
    if let Some(path) = &history {
        // A missing or unreadable history is not an error.
        let _ = editor.load_history(path);
    }
    while !shell.should_quit() {
        match editor.readline(shell.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                shell.feed_line(&line);
                let _ = shell.out().flush();
            }
            Err(ReadlineError::Interrupted) => shell.clear_buffer(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("Error: cannot read input: {e}");
                break;
            }
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    Ok(())
}
