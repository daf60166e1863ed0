//! Integration tests: themes.
