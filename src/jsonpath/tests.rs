//! The dialect, operator by operator and function by function (each case checked against
//! Jayway 2.10 with `../shared/jayway-oracle/`).
