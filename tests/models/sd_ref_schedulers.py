"""The schedulers of the Stable Diffusion reference (sd_ref.py), with diffusers' arithmetic."""
import math

import numpy as np
import torch

from sd_ref_layers import *  # noqa: F401,F403

# ---------------------------------------------------------------------------------------------
# Schedulers. Arithmetic in float32 torch / float32-float64 numpy exactly where diffusers has it.
def make_betas(c):
    n = c["num_train_timesteps"]
    if c.get("trained_betas") is not None:
        return torch.tensor(c["trained_betas"], dtype=torch.float32)
    if c["beta_schedule"] == "linear":
        return torch.linspace(c["beta_start"], c["beta_end"], n, dtype=torch.float32)
    if c["beta_schedule"] == "scaled_linear":
        return torch.linspace(c["beta_start"] ** 0.5, c["beta_end"] ** 0.5, n, dtype=torch.float32) ** 2
    if c["beta_schedule"] == "squaredcos_cap_v2":
        def alpha_bar(t):
            return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        return torch.tensor([min(1 - alpha_bar((i + 1) / n) / alpha_bar(i / n), 0.999) for i in range(n)],
                            dtype=torch.float32)
    raise NotImplementedError(f"beta_schedule {c['beta_schedule']}")


COMMON = {"num_train_timesteps": 1000, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear",
          "trained_betas": None, "prediction_type": "epsilon", "steps_offset": 0, "rescale_betas_zero_snr": False}


class Scheduler:
    DEFAULTS = {}
    order = 1

    def __init__(self, config):
        self.config = c = merged(self.DEFAULTS, config)
        for k in ("rescale_betas_zero_snr", "thresholding"):
            if c.get(k):
                raise NotImplementedError(f"{type(self).__name__}: {k}")
        if c["prediction_type"] not in ("epsilon", "v_prediction", "sample"):
            raise ValueError(f"prediction_type {c['prediction_type']}")
        self.betas = make_betas(c)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        self.begin_index = None
        self.step_index = None

    def scale_model_input(self, sample, t):
        return sample

    def set_begin_index(self, index):
        self.begin_index = index

    def index_for_timestep(self, t):
        hits = (self.timesteps == t).nonzero()
        return hits[1 if len(hits) > 1 else 0].item()

    def init_step_index(self, t):
        if self.step_index is None:
            self.step_index = self.index_for_timestep(t) if self.begin_index is None else self.begin_index

    def add_noise_alpha(self, x0, noise, t):
        """DDPM/DDIM/PNDM/LCM add_noise: sqrt(acp[t]) x0 + sqrt(1 - acp[t]) noise (t: [B])."""
        acp = self.alphas_cumprod[t].flatten().view(-1, 1, 1, 1)
        return acp ** 0.5 * x0 + (1 - acp) ** 0.5 * noise

    def noise_index(self, t):
        """The sigma index add_noise takes: begin_index unset -> the timestep's index; after a step ->
        step_index; before the first step (img2img) -> begin_index."""
        if self.begin_index is None:
            return self.index_for_timestep(t)
        return self.step_index if self.step_index is not None else self.begin_index

    add_noise = add_noise_alpha

    def table(self):
        """What the C++ scheduler can be unit-tested against."""
        out = {"timesteps": self.timesteps.tolist(), "init_noise_sigma": float(self.init_noise_sigma)}
        if hasattr(self, "sigmas"):
            out["sigmas"] = self.sigmas.tolist()
        return out


def spaced_timesteps(c, n, float_out=False):
    """linspace / leading / trailing as DDIM (int64) and Euler (float32) set_timesteps have them."""
    T = c["num_train_timesteps"]
    sp = c["timestep_spacing"]
    if sp == "linspace":
        if float_out:
            return np.linspace(0, T - 1, n, dtype=np.float32)[::-1].copy()
        return np.linspace(0, T - 1, n).round()[::-1].copy().astype(np.int64)
    if sp == "leading":
        ratio = T // n
        ts = (np.arange(0, n) * ratio).round()[::-1].copy().astype(np.float32 if float_out else np.int64)
        return ts + c["steps_offset"]
    if sp == "trailing":
        ratio = T / n
        ts = np.round(np.arange(T, 0, -ratio)).copy().astype(np.float32 if float_out else np.int64)
        return ts - 1
    raise ValueError(f"timestep_spacing {sp}")


class DDIMScheduler(Scheduler):
    DEFAULTS = dict(COMMON, clip_sample=True, set_alpha_to_one=True, thresholding=False,
                    dynamic_thresholding_ratio=0.995, clip_sample_range=1.0, sample_max_value=1.0,
                    timestep_spacing="leading")
    init_noise_sigma = 1.0

    def __init__(self, config):
        super().__init__(config)
        self.final_alpha_cumprod = torch.tensor(1.0) if self.config["set_alpha_to_one"] else self.alphas_cumprod[0]

    def set_timesteps(self, n):
        if n > self.config["num_train_timesteps"]:
            raise ValueError("more inference steps than training steps")
        self.num_inference_steps = n
        self.timesteps = torch.from_numpy(spaced_timesteps(self.config, n))

    def step(self, eps, t, sample, noise=None, eta=0.0):
        c = self.config
        prev_t = t - c["num_train_timesteps"] // self.num_inference_steps
        a_t = self.alphas_cumprod[t]
        a_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.final_alpha_cumprod
        b_t = 1 - a_t
        if c["prediction_type"] == "epsilon":
            x0 = (sample - b_t ** 0.5 * eps) / a_t ** 0.5
            pred_eps = eps
        elif c["prediction_type"] == "sample":
            x0 = eps
            pred_eps = (sample - a_t ** 0.5 * x0) / b_t ** 0.5
        else:
            x0 = a_t ** 0.5 * sample - b_t ** 0.5 * eps
            pred_eps = a_t ** 0.5 * eps + b_t ** 0.5 * sample
        if c["clip_sample"]:
            x0 = x0.clamp(-c["clip_sample_range"], c["clip_sample_range"])
        variance = ((1 - a_prev) / b_t) * (1 - a_t / a_prev)
        std = eta * variance ** 0.5
        prev = a_prev ** 0.5 * x0 + (1 - a_prev - std ** 2) ** 0.5 * pred_eps
        if eta > 0:
            prev = prev + std * noise
        return prev


class PNDMScheduler(Scheduler):
    DEFAULTS = dict(COMMON, skip_prk_steps=False, set_alpha_to_one=False, timestep_spacing="leading")
    init_noise_sigma = 1.0

    def __init__(self, config):
        super().__init__(config)
        if self.config["prediction_type"] == "sample":
            raise ValueError("PNDM takes epsilon or v_prediction")
        self.final_alpha_cumprod = torch.tensor(1.0) if self.config["set_alpha_to_one"] else self.alphas_cumprod[0]

    def set_timesteps(self, n):
        c = self.config
        T = c["num_train_timesteps"]
        self.num_inference_steps = n
        if c["timestep_spacing"] == "linspace":
            ts = np.linspace(0, T - 1, n).round().astype(np.int64)
        elif c["timestep_spacing"] == "leading":
            ts = (np.arange(0, n) * (T // n)).round() + c["steps_offset"]
        elif c["timestep_spacing"] == "trailing":
            ts = np.round(np.arange(T, 0, -T / n))[::-1].astype(np.int64) - 1
        else:
            raise ValueError(c["timestep_spacing"])
        if c["skip_prk_steps"]:
            self.prk_timesteps = np.array([])
            self.plms_timesteps = np.concatenate([ts[:-1], ts[-2:-1], ts[-1:]])[::-1].copy()
        else:
            prk = np.array(ts[-4:]).repeat(2) + np.tile(np.array([0, T // n // 2]), 4)
            self.prk_timesteps = prk[:-1].repeat(2)[1:-1][::-1].copy()
            self.plms_timesteps = ts[:-3][::-1].copy()
        self.timesteps = torch.from_numpy(np.concatenate([self.prk_timesteps, self.plms_timesteps]).astype(np.int64))
        self.ets, self.counter, self.cur_model_output, self.cur_sample = [], 0, 0, None

    def step(self, eps, t, sample, noise=None):
        if self.counter < len(self.prk_timesteps) and not self.config["skip_prk_steps"]:
            return self.step_prk(eps, t, sample)
        return self.step_plms(eps, t, sample)

    def step_prk(self, eps, t, sample):
        T = self.config["num_train_timesteps"]
        diff = 0 if self.counter % 2 else T // self.num_inference_steps // 2
        prev_t = t - diff
        t = self.prk_timesteps[self.counter // 4 * 4]
        if self.counter % 4 == 0:
            self.cur_model_output += 1 / 6 * eps
            self.ets.append(eps)
            self.cur_sample = sample
        elif (self.counter - 1) % 4 == 0:
            self.cur_model_output += 1 / 3 * eps
        elif (self.counter - 2) % 4 == 0:
            self.cur_model_output += 1 / 3 * eps
        else:
            eps = self.cur_model_output + 1 / 6 * eps
            self.cur_model_output = 0
        cur = self.cur_sample if self.cur_sample is not None else sample
        prev = self.prev_sample(cur, t, prev_t, eps)
        self.counter += 1
        return prev

    def step_plms(self, eps, t, sample):
        T = self.config["num_train_timesteps"]
        prev_t = t - T // self.num_inference_steps
        if self.counter != 1:
            self.ets = self.ets[-3:]
            self.ets.append(eps)
        else:
            prev_t = t
            t = t + T // self.num_inference_steps
        e = self.ets
        if len(e) == 1 and self.counter == 0:
            self.cur_sample = sample
        elif len(e) == 1 and self.counter == 1:
            eps = (eps + e[-1]) / 2
            sample = self.cur_sample
            self.cur_sample = None
        elif len(e) == 2:
            eps = (3 * e[-1] - e[-2]) / 2
        elif len(e) == 3:
            eps = (23 * e[-1] - 16 * e[-2] + 5 * e[-3]) / 12
        else:
            eps = (1 / 24) * (55 * e[-1] - 59 * e[-2] + 37 * e[-3] - 9 * e[-4])
        prev = self.prev_sample(sample, t, prev_t, eps)
        self.counter += 1
        return prev

    def prev_sample(self, sample, t, prev_t, eps):
        a_t = self.alphas_cumprod[t]
        a_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.final_alpha_cumprod
        b_t, b_prev = 1 - a_t, 1 - a_prev
        if self.config["prediction_type"] == "v_prediction":
            eps = a_t ** 0.5 * eps + b_t ** 0.5 * sample
        coeff = (a_prev / a_t) ** 0.5
        denom = a_t * b_prev ** 0.5 + (a_t * b_t * a_prev) ** 0.5
        return coeff * sample - (a_prev - a_t) * eps / denom


def karras_sigmas(in_sigmas, n, rho=7.0):
    """_convert_to_karras: in_sigmas descending (numpy float32); returns float64 numpy."""
    smin, smax = in_sigmas[-1].item(), in_sigmas[0].item()
    ramp = np.linspace(0, 1, n)
    lo, hi = smin ** (1 / rho), smax ** (1 / rho)
    return (hi + ramp * (lo - hi)) ** rho


def sigma_to_t(sigma, log_sigmas):
    log_sigma = np.log(np.maximum(sigma, 1e-10))
    dists = log_sigma - log_sigmas[:, np.newaxis]
    low = np.cumsum((dists >= 0), axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
    high = low + 1
    w = np.clip((log_sigmas[low] - log_sigma) / (log_sigmas[low] - log_sigmas[high]), 0, 1)
    return ((1 - w) * low + w * high).reshape(np.shape(sigma))


class SigmaScheduler(Scheduler):
    """Euler / Euler ancestral: sigma-space, k-diffusion style input scaling."""

    def __init__(self, config):
        super().__init__(config)
        self.train_sigmas = np.array(((1 - self.alphas_cumprod) / self.alphas_cumprod) ** 0.5)

    @property
    def init_noise_sigma(self):
        m = self.sigmas.max()
        return m if self.config["timestep_spacing"] in ("linspace", "trailing") else (m ** 2 + 1) ** 0.5

    def scale_model_input(self, sample, t):
        self.init_step_index(t)
        s = self.sigmas[self.step_index]
        return sample / ((s ** 2 + 1) ** 0.5)

    def x0(self, eps, sample, sigma):
        p = self.config["prediction_type"]
        if p == "epsilon":
            return sample - sigma * eps
        if p == "v_prediction":
            return eps * (-sigma / (sigma ** 2 + 1) ** 0.5) + sample / (sigma ** 2 + 1)
        return eps

    def add_noise(self, x0, noise, t):
        return x0 + noise * self.sigmas[self.noise_index(t)]


class EulerDiscreteScheduler(SigmaScheduler):
    DEFAULTS = dict(COMMON, interpolation_type="linear", use_karras_sigmas=False, use_exponential_sigmas=False,
                    use_beta_sigmas=False, sigma_min=None, sigma_max=None, timestep_spacing="linspace",
                    timestep_type="discrete", final_sigmas_type="zero")

    def set_timesteps(self, n):
        c = self.config
        if c["use_exponential_sigmas"] or c["use_beta_sigmas"] or c["timestep_type"] != "discrete":
            raise NotImplementedError("Euler: exponential/beta sigmas, continuous timesteps")
        self.num_inference_steps = n
        ts = spaced_timesteps(c, n, float_out=True)
        sig = self.train_sigmas
        log_sigmas = np.log(sig)
        if c["interpolation_type"] == "linear":
            sig = np.interp(ts, np.arange(0, len(sig)), sig)
        elif c["interpolation_type"] == "log_linear":
            sig = torch.linspace(np.log(sig[-1]), np.log(sig[0]), n + 1).exp().numpy()
        else:
            raise ValueError(c["interpolation_type"])
        if c["use_karras_sigmas"]:
            smin = c["sigma_min"] if c["sigma_min"] is not None else sig[-1].item()
            smax = c["sigma_max"] if c["sigma_max"] is not None else sig[0].item()
            sig = karras_sigmas(np.array([smax, smin]), n)
            ts = np.array([sigma_to_t(s, log_sigmas) for s in sig])
        last = 0.0 if c["final_sigmas_type"] == "zero" else self.train_sigmas[0].item()
        self.sigmas = torch.from_numpy(np.concatenate([sig, [last]]).astype(np.float32))
        self.timesteps = torch.from_numpy(ts.astype(np.float32))
        self.step_index = None
        self.begin_index = None

    def step(self, eps, t, sample, noise=None):
        self.init_step_index(t)
        sample = sample.float()
        sigma = self.sigmas[self.step_index]
        sigma_hat = sigma * (0.0 + 1)  # s_churn = 0: gamma = 0
        x0 = self.x0(eps, sample, sigma_hat)
        derivative = (sample - x0) / sigma_hat
        dt = self.sigmas[self.step_index + 1] - sigma_hat
        self.step_index += 1
        return sample + derivative * dt


class EulerAncestralDiscreteScheduler(SigmaScheduler):
    DEFAULTS = dict(COMMON, timestep_spacing="linspace")
    stochastic = True

    def set_timesteps(self, n):
        self.num_inference_steps = n
        ts = spaced_timesteps(self.config, n, float_out=True)
        sig = np.interp(ts, np.arange(0, len(self.train_sigmas)), self.train_sigmas)
        self.sigmas = torch.from_numpy(np.concatenate([sig, [0.0]]).astype(np.float32))
        self.timesteps = torch.from_numpy(ts)
        self.step_index = None
        self.begin_index = None

    def step(self, eps, t, sample, noise=None):
        """noise: this step's draw (randn of the latent's shape); drawn at every step."""
        self.init_step_index(t)
        sigma = self.sigmas[self.step_index]
        sample = sample.float()
        x0 = self.x0(eps, sample, sigma)
        s_from, s_to = self.sigmas[self.step_index], self.sigmas[self.step_index + 1]
        s_up = (s_to ** 2 * (s_from ** 2 - s_to ** 2) / s_from ** 2) ** 0.5
        s_down = (s_to ** 2 - s_up ** 2) ** 0.5
        derivative = (sample - x0) / sigma
        prev = sample + derivative * (s_down - sigma)
        self.step_index += 1
        return prev + noise * s_up


class DPMSolverMultistepScheduler(Scheduler):
    """algorithm_type dpmsolver++ (DPM++ 2M with solver_order 2), solver_type midpoint or heun."""
    DEFAULTS = dict(COMMON, solver_order=2, thresholding=False, dynamic_thresholding_ratio=0.995,
                    sample_max_value=1.0, algorithm_type="dpmsolver++", solver_type="midpoint",
                    lower_order_final=True, euler_at_final=False, use_karras_sigmas=False,
                    use_exponential_sigmas=False, use_beta_sigmas=False, use_lu_lambdas=False,
                    use_flow_sigmas=False, final_sigmas_type="zero", lambda_min_clipped=-float("inf"),
                    variance_type=None, timestep_spacing="linspace")
    init_noise_sigma = 1.0

    def __init__(self, config):
        super().__init__(config)
        c = self.config
        if c["algorithm_type"] != "dpmsolver++" or c["solver_order"] not in (1, 2) or c["use_lu_lambdas"] \
                or c["use_exponential_sigmas"] or c["use_beta_sigmas"] or c["use_flow_sigmas"] or c["variance_type"]:
            raise NotImplementedError("DPM-Solver reference covers dpmsolver++ of order 1-2")
        self.alpha_t = torch.sqrt(self.alphas_cumprod)
        self.sigma_t = torch.sqrt(1 - self.alphas_cumprod)
        self.lambda_t = torch.log(self.alpha_t) - torch.log(self.sigma_t)

    def set_timesteps(self, n):
        c = self.config
        clipped = torch.searchsorted(torch.flip(self.lambda_t, [0]), torch.tensor(c["lambda_min_clipped"])).item()
        last_t = c["num_train_timesteps"] - clipped
        sp = c["timestep_spacing"]
        if sp == "linspace":
            ts = np.linspace(0, last_t - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)
        elif sp == "leading":
            ratio = last_t // (n + 1)
            ts = (np.arange(0, n + 1) * ratio).round()[::-1][:-1].copy().astype(np.int64) + c["steps_offset"]
        elif sp == "trailing":
            ratio = c["num_train_timesteps"] / n
            ts = np.arange(last_t, 0, -ratio).round().copy().astype(np.int64) - 1
        else:
            raise ValueError(sp)
        sig = np.array(((1 - self.alphas_cumprod) / self.alphas_cumprod) ** 0.5)
        log_sigmas = np.log(sig)
        if c["use_karras_sigmas"]:
            sig = karras_sigmas(np.flip(sig).copy(), n)
            ts = np.array([sigma_to_t(s, log_sigmas) for s in sig]).round()
        else:
            sig = np.interp(ts, np.arange(0, len(sig)), sig)
        if c["final_sigmas_type"] == "sigma_min":
            last = ((1 - self.alphas_cumprod[0]) / self.alphas_cumprod[0]) ** 0.5
        elif c["final_sigmas_type"] == "zero":
            last = 0
        else:
            raise ValueError(c["final_sigmas_type"])
        self.sigmas = torch.from_numpy(np.concatenate([sig, [float(last)]]).astype(np.float32))
        self.timesteps = torch.from_numpy(ts).to(torch.int64)
        self.num_inference_steps = len(ts)
        self.model_outputs = [None] * c["solver_order"]
        self.lower_order_nums = 0
        self.step_index = None
        self.begin_index = None

    @staticmethod
    def alpha_sigma(sigma):
        alpha = 1 / ((sigma ** 2 + 1) ** 0.5)
        return alpha, sigma * alpha

    def step(self, eps, t, sample, noise=None):
        c = self.config
        self.init_step_index(t)
        i, n = self.step_index, len(self.timesteps)
        lower_final = i == n - 1 and (c["euler_at_final"] or (c["lower_order_final"] and n < 15)
                                      or c["final_sigmas_type"] == "zero")
        a_s, s_s = self.alpha_sigma(self.sigmas[i])
        p = c["prediction_type"]
        x0 = (sample - s_s * eps) / a_s if p == "epsilon" else (a_s * sample - s_s * eps if p == "v_prediction" else eps)
        self.model_outputs = self.model_outputs[1:] + [x0]
        sample = sample.float()
        a_t, s_t = self.alpha_sigma(self.sigmas[i + 1])
        lam_t, lam_s0 = torch.log(a_t) - torch.log(s_t), torch.log(a_s) - torch.log(s_s)
        h = lam_t - lam_s0
        if c["solver_order"] == 1 or self.lower_order_nums < 1 or lower_final:
            prev = (s_t / s_s) * sample - (a_t * (torch.exp(-h) - 1.0)) * x0
        else:
            a_s1, s_s1 = self.alpha_sigma(self.sigmas[i - 1])
            lam_s1 = torch.log(a_s1) - torch.log(s_s1)
            m0, m1 = self.model_outputs[-1], self.model_outputs[-2]
            r0 = (lam_s0 - lam_s1) / h
            d0, d1 = m0, (1.0 / r0) * (m0 - m1)
            if c["solver_type"] == "midpoint":
                prev = (s_t / s_s) * sample - (a_t * (torch.exp(-h) - 1.0)) * d0 - 0.5 * (a_t * (torch.exp(-h) - 1.0)) * d1
            else:
                prev = (s_t / s_s) * sample - (a_t * (torch.exp(-h) - 1.0)) * d0 + (a_t * ((torch.exp(-h) - 1.0) / h + 1.0)) * d1
        if self.lower_order_nums < c["solver_order"]:
            self.lower_order_nums += 1
        self.step_index += 1
        return prev

    def add_noise(self, x0, noise, t):
        a, s = self.alpha_sigma(self.sigmas[self.noise_index(t)])
        return a * x0 + s * noise


class LCMScheduler(Scheduler):
    DEFAULTS = dict(COMMON, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                    original_inference_steps=50, clip_sample=False, clip_sample_range=1.0, set_alpha_to_one=True,
                    thresholding=False, dynamic_thresholding_ratio=0.995, sample_max_value=1.0,
                    timestep_spacing="leading", timestep_scaling=10.0)
    init_noise_sigma = 1.0
    stochastic = True

    def __init__(self, config):
        super().__init__(config)
        self.final_alpha_cumprod = torch.tensor(1.0) if self.config["set_alpha_to_one"] else self.alphas_cumprod[0]

    def set_timesteps(self, n, strength=1.0):
        c = self.config
        orig = c["original_inference_steps"]
        T = c["num_train_timesteps"]
        if orig > T or n > orig:
            raise ValueError("LCM: num_inference_steps <= original_inference_steps <= num_train_timesteps")
        k = T // orig
        origin = np.asarray(list(range(1, int(orig * strength) + 1))) * k - 1
        if len(origin) // n < 1:
            raise ValueError("LCM: too many steps for this strength")
        origin = origin[::-1].copy()
        idx = np.floor(np.linspace(0, len(origin), num=n, endpoint=False)).astype(np.int64)
        self.timesteps = torch.from_numpy(origin[idx]).to(torch.long)
        self.num_inference_steps = n
        self.step_index = None
        self.begin_index = None

    def step(self, eps, t, sample, noise=None):
        """noise: this step's draw; used on every step but the last."""
        c = self.config
        self.init_step_index(t)
        i = self.step_index
        prev_t = self.timesteps[i + 1] if i + 1 < len(self.timesteps) else t
        a_t = self.alphas_cumprod[t]
        a_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.final_alpha_cumprod
        b_t, b_prev = 1 - a_t, 1 - a_prev
        scaled = t * c["timestep_scaling"]
        c_skip = 0.5 ** 2 / (scaled ** 2 + 0.5 ** 2)
        c_out = scaled / (scaled ** 2 + 0.5 ** 2) ** 0.5
        p = c["prediction_type"]
        x0 = (sample - b_t.sqrt() * eps) / a_t.sqrt() if p == "epsilon" else (
            a_t.sqrt() * sample - b_t.sqrt() * eps if p == "v_prediction" else eps)
        if c["clip_sample"]:
            x0 = x0.clamp(-c["clip_sample_range"], c["clip_sample_range"])
        denoised = c_out * x0 + c_skip * sample
        self.step_index += 1
        if i != self.num_inference_steps - 1:
            return a_prev.sqrt() * denoised + b_prev.sqrt() * noise
        return denoised


SCHEDULERS = {cls.__name__: cls for cls in (DDIMScheduler, PNDMScheduler, EulerDiscreteScheduler,
                                            EulerAncestralDiscreteScheduler, DPMSolverMultistepScheduler, LCMScheduler)}


def make_scheduler(config, class_name=None, **overrides):
    """The class named by class_name (or the config's _class_name) built from the config's keys
    (from_config), with overrides applied on top (e.g. use_karras_sigmas=True)."""
    cls = SCHEDULERS[class_name or config["_class_name"]]
    return cls(dict(config, **overrides))
