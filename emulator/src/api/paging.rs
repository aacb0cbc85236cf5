//! Telnyx's page-number pagination: `page[number]`, `page[size]` (at most 250) and the
//! `meta` block of every list.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};

/// `(page number, page size)` from the query, 1 and 20 when not given.
pub fn page_params(q: &HashMap<String, String>) -> ApiResult<(usize, usize)> {
    let num = |k: &str, d: usize, max: usize| -> ApiResult<usize> {
        match q.get(k) {
            None => Ok(d),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(
                    ApiError::out_of_range(k, format!("{k} must be between 1 and {max}.")).param(k),
                ),
            },
        }
    };
    Ok((
        num("page[number]", 1, usize::MAX)?,
        num("page[size]", 20, 250)?,
    ))
}

pub fn paged(items: Vec<Value>, page: usize, size: usize) -> Value {
    let total = items.len();
    let data: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    json!({
        "data": data,
        "meta": {
            "page_number": page,
            "page_size": size,
            "total_pages": total.div_ceil(size),
            "total_results": total,
        }
    })
}
