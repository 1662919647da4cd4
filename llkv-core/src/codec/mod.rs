//! The default column codec (under construction).
