//! Integration tests: experience.
