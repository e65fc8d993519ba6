//! Ordinary least squares for the forecast's fixed design, by Householder QR.
//!
//! The design row of day `t` (days since the first fitted day) with weekday `w` (Monday = 0) is
//! `[1, t, e_1(w), …, e_6(w)]`, where `e_k(w)` is `1` if `w = k`, `−1` if `w = 0` (Monday) and `0`
//! otherwise: effects coding, so the seven weekday effects sum to zero and Monday's is
//! `−(s_1 + … + s_6)`. QR on `X` itself (not Cholesky on `X'X`) keeps the fit accurate when the
//! trend column `t` is large next to the others. With `X = QR`, `(X'X)⁻¹ = R⁻¹R⁻ᵀ`, so
//! `g'(X'X)⁻¹g = ‖R⁻ᵀg‖²`, one forward substitution.
//!
//! Every sum runs in index order on one thread, so the same input gives bit-identical output.

/// Parameters: level, trend and six free weekday effects.
pub(super) const P: usize = 8;

/// The weekday of a day number (days since 1970-01-01, a Thursday), Monday = 0.
pub(super) fn weekday(day: i32) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// The design row of a day `t` days after the first fitted day, falling on weekday `w`.
pub(super) fn design(t: f64, w: usize) -> [f64; P] {
    let mut x = [0.0; P];
    x[0] = 1.0;
    x[1] = t;
    if w == 0 {
        for v in &mut x[2..] {
            *v = -1.0;
        }
    } else {
        x[1 + w] = 1.0;
    }
    x
}

/// A fitted model.
#[derive(Debug, Clone)]
pub(super) struct Fit {
    /// `[a, b, s_1, …, s_6]`.
    pub beta: [f64; P],
    /// The upper-triangular `R` of `X = QR` (row-major; below the diagonal is zero).
    r: [[f64; P]; P],
    /// Residual standard deviation with `n − P` degrees of freedom.
    pub sigma: f64,
    /// `n − P`.
    pub dof: u32,
}

impl Fit {
    /// The seven weekday effects, Monday first; they sum to zero.
    pub fn weekday_effects(&self) -> [f64; 7] {
        let mut s = [0.0; 7];
        let mut sum = 0.0;
        for (sk, b) in s.iter_mut().zip(&self.beta[1..]).skip(1) {
            *sk = *b;
            sum += *b;
        }
        s[0] = -sum;
        s
    }

    /// `x'β`.
    pub fn predict(&self, x: &[f64; P]) -> f64 {
        dot(&self.beta, x)
    }

    /// `g'(X'X)⁻¹g = ‖R⁻ᵀg‖²`, the parameter-uncertainty factor of a prediction whose summed
    /// design vector is `g`.
    pub fn param_factor(&self, g: &[f64; P]) -> f64 {
        // Solve R'v = g (R' is lower triangular) by forward substitution.
        let mut v = [0.0; P];
        for i in 0..P {
            let mut s = g[i];
            for (rk, vk) in self.r.iter().zip(&v).take(i) {
                s -= rk[i] * vk;
            }
            v[i] = s / self.r[i][i];
        }
        dot(&v, &v)
    }
}

fn dot(a: &[f64; P], b: &[f64; P]) -> f64 {
    let mut s = 0.0;
    for i in 0..P {
        s += a[i] * b[i];
    }
    s
}

/// Fits `y[i] = x_i'β + ε` with `x_i = design(i, weekday(first_day + i))`. `None` when the
/// design is rank-deficient (fewer than `P` days or a weekday missing), which a dense series
/// of at least `P + 2` days never is.
pub(super) fn fit(first_day: i32, y: &[f64]) -> Option<Fit> {
    let n = y.len();
    if n < P + 1 {
        return None;
    }
    let rows: Vec<[f64; P]> = (0..n)
        .map(|i| design(i as f64, weekday(first_day.wrapping_add(i as i32))))
        .collect();
    let mut a = rows.clone();
    let mut qy = y.to_vec();
    let mut v = vec![0.0; n];
    for k in 0..P {
        let mut norm2 = 0.0;
        for row in &a[k..] {
            norm2 += row[k] * row[k];
        }
        let norm = norm2.sqrt();
        if !(norm > 0.0 && norm.is_finite()) {
            return None;
        }
        let alpha = if a[k][k] > 0.0 { -norm } else { norm };
        let mut vnorm2 = 0.0;
        for i in k..n {
            v[i] = a[i][k];
            if i == k {
                v[i] -= alpha;
            }
            vnorm2 += v[i] * v[i];
        }
        // Apply H = I − 2vv'/v'v to the remaining columns and to y.
        // s_j = Σ_i v_i a_ij accumulates in row order, the same order for every run.
        let mut s = [0.0; P];
        for (row, vi) in a[k..].iter().zip(&v[k..]) {
            for (sj, aij) in s[k..].iter_mut().zip(&row[k..]) {
                *sj += vi * aij;
            }
        }
        for (row, vi) in a[k..].iter_mut().zip(&v[k..]) {
            for (aij, sj) in row[k..].iter_mut().zip(&s[k..]) {
                *aij -= 2.0 * sj / vnorm2 * vi;
            }
        }
        let mut s = 0.0;
        for i in k..n {
            s += v[i] * qy[i];
        }
        let f = 2.0 * s / vnorm2;
        for i in k..n {
            qy[i] -= f * v[i];
        }
    }
    let mut r = [[0.0; P]; P];
    let mut max_diag = 0.0_f64;
    for i in 0..P {
        for j in i..P {
            r[i][j] = a[i][j];
        }
        max_diag = max_diag.max(r[i][i].abs());
    }
    for (i, row) in r.iter().enumerate() {
        let d = row[i].abs();
        if d.is_nan() || d <= 1e-10 * max_diag {
            return None;
        }
    }
    // Back substitution: Rβ = (Q'y)[..P].
    let mut beta = [0.0; P];
    for i in (0..P).rev() {
        let mut s = qy[i];
        for j in i + 1..P {
            s -= r[i][j] * beta[j];
        }
        beta[i] = s / r[i][i];
    }
    // Residuals from the data directly (not from Q'y), in index order.
    let mut rss = 0.0;
    let mut max_abs = 0.0_f64;
    for (x, &yi) in rows.iter().zip(y) {
        let e = yi - dot(&beta, x);
        rss += e * e;
        max_abs = max_abs.max(yi.abs());
    }
    let dof = n - P;
    let mut sigma = (rss / dof as f64).sqrt();
    // An exact fit leaves rounding residuals of order 1e-16 × |y|; call that zero.
    if sigma <= SIGMA_ZERO * max_abs {
        sigma = 0.0;
    }
    if !beta.iter().all(|b| b.is_finite()) || !sigma.is_finite() {
        return None;
    }
    Some(Fit {
        beta,
        r,
        sigma,
        dof: u32::try_from(dof).unwrap_or(u32::MAX),
    })
}

/// A residual standard deviation at or below this fraction of the largest daily cost is
/// floating-point rounding of an exact fit and is set to zero.
pub(super) const SIGMA_ZERO: f64 = 1e-10;
