//! Realistic synthetic exports whose metrics are known by construction.
