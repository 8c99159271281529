//! The evcxr engine: one worker thread owns the `CommandContext`, loads the `mstic` facade, and runs
//! cells, completions and hovers in order. The protocol side talks to it through [`EngineHandle`].
//! Magic cells (`%%sql`, `%%kql`) run in the same order but skip evcxr: their query goes to the
//! cell process over the comm socket (see `crate::magic`).

use crate::comms::{Comms, MagicCall};
use crate::errors::{self, CellError};
use crate::magic::{self, MagicCell, PendingBindings};
use crate::interrupt;
use crate::iopub::Iopub;
use crate::output::OutputPump;
use crate::progress::Progress;
use crate::stdin::Stdin;
use crate::support::{self, SUPPORT_CODE};
use crate::timing::{self, CellTimer};
use crate::wire::Message;
use crate::type_probe::{self, TypeProbe};
use evcxr::{CommandContext, Error as EvcxrError, EvalCallbacks, EvalOutputs};
use serde_json::{Value, json};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

mod completion;
use completion::ItemAccess;

/// How long one completion request may spend hovering fields and methods to learn their
/// visibility (past it, beyond the first hover of a field and of a method); items left unchecked are
/// listed after the others and checked on a later request.
const ACCESS_CHECK_BUDGET: Duration = Duration::from_millis(600);

/// What a finished cell reports in its `execute_reply`.
pub struct ExecOutcome {
    /// The failure, if the cell failed.
    pub error: Option<CellError>,
    /// Pager texts (`page` payloads).
    pub pages: Vec<String>,
    /// The `text/plain` form of the cell's result, for history.
    pub result_text: Option<String>,
}

/// Work for the engine thread.
pub enum Job {
    /// Run a cell.
    Execute {
        code: String,
        parent: Message,
        silent: bool,
        /// The request's `allow_stdin`: whether the cell may ask the frontend for input.
        allow_stdin: bool,
        count: u32,
        reply: oneshot::Sender<ExecOutcome>,
    },
    /// Completions at a byte offset.
    Complete { code: String, pos: usize, reply: oneshot::Sender<Value> },
    /// Hover text at a byte offset.
    Inspect { code: String, pos: usize, reply: oneshot::Sender<Value> },
}

/// The protocol side's handle on the engine.
#[derive(Clone)]
pub struct EngineHandle {
    tx: Arc<Mutex<mpsc::Sender<Job>>>,
    /// Set once the facade is loaded.
    pub ready: Arc<AtomicBool>,
    /// Set once rust-analyzer has loaded the preloaded crates (or a request came first).
    pub warmed: Arc<AtomicBool>,
    /// Set when evcxr or the preload failed at boot.
    pub boot_failed: Arc<AtomicBool>,
    /// The magic cell being run (its number, as in `running`), or 0.
    running_magic: Arc<AtomicU64>,
    /// The cell being run (a number from 1, counting cells run by this engine), or 0. Interrupts
    /// and their outcome belong to one cell: a request that arrives as a cell ends never touches
    /// the next one.
    running: Arc<AtomicU64>,
    /// The cell an interrupt was requested for.
    interrupted: Arc<AtomicU64>,
    /// The cell that waits for rust-analyzer's view to widen (see `widen_analysis`), or 0: an
    /// interrupt waits for that to end (it cannot be cut short), then the cell stops unrun.
    widening: Arc<AtomicU64>,
    /// The cell whose process was ended because it ignored an interrupt.
    killed: Arc<AtomicU64>,
    /// The number of the last cell started.
    cells_started: Arc<AtomicU64>,
    /// The cell process listens for the stop request (`mstic_core::interrupt` is installed).
    cooperative: Arc<AtomicBool>,
    child: Arc<Mutex<Option<Arc<Mutex<std::process::Child>>>>>,
    /// What a restart after a fault needs.
    parts: Arc<EngineParts>,
}

/// How an interrupt request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterruptOutcome {
    /// No cell was running.
    Idle,
    /// The cell stopped (its build was ended, or its code noticed the request); nothing lost.
    Stopped,
    /// The cell ignored the request for the grace period, so its process was ended.
    Killed,
}

impl EngineHandle {
    /// Queues a job. When the engine has just stopped on a fault, the job waits for the engine
    /// that replaces it (see [`EngineHandle::restart`]); false when none comes.
    pub fn send(&self, job: Job) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut job = job;
        loop {
            match self.tx.lock().unwrap_or_else(|e| e.into_inner()).send(job) {
                Ok(()) => return true,
                Err(mpsc::SendError(back)) => job = back,
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the running cell and returns once it has stopped. A compiling cell's build is ended
    /// (nothing lost); running code is asked to stop (the library's long operations return an
    /// `Interrupted` error, so earlier variables stay); a cell that has not stopped after the
    /// grace period (`interrupt::grace`) has its process ended, which loses the variables.
    pub fn interrupt(&self) -> InterruptOutcome {
        let cell = self.running.load(Ordering::SeqCst);
        if cell == 0 {
            return InterruptOutcome::Idle;
        }
        self.interrupted.store(cell, Ordering::SeqCst);
        let still_running = || self.running.load(Ordering::SeqCst) == cell;
        if self.running_magic.load(Ordering::SeqCst) == cell {
            // A magic query runs on a thread of its own in the cell process: it is asked to stop,
            // and if it does not, the engine stops waiting for it after the grace period; the
            // process and its variables stay either way.
            if self.cooperative.load(Ordering::SeqCst) {
                interrupt::signal(self.child_pid().unwrap_or(0), interrupt::STOP_CELL);
            }
            let deadline = Instant::now() + interrupt::grace() + Duration::from_secs(2);
            while still_running() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            return InterruptOutcome::Stopped;
        }
        // rust-analyzer cannot be stopped while it loads the crates; the cell ends unrun after.
        while still_running() && self.widening.load(Ordering::SeqCst) == cell {
            std::thread::sleep(Duration::from_millis(20));
        }
        let deadline = Instant::now() + interrupt::grace();
        let mut asked = false;
        while still_running() && Instant::now() < deadline {
            let child = self.child_pid().unwrap_or(0);
            if interrupt::kill_builds(child) == 0 && !asked {
                if !self.cooperative.load(Ordering::SeqCst) {
                    break;
                }
                asked = interrupt::signal(child, interrupt::STOP_CELL);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if !still_running() {
            return InterruptOutcome::Stopped;
        }
        self.killed.store(cell, Ordering::SeqCst);
        if let Some(child) = self.child.lock().unwrap_or_else(|e| e.into_inner()).clone()
            && let Ok(mut child) = child.lock()
        {
            let _ = child.kill();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while still_running() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        InterruptOutcome::Killed
    }

    /// The process id of the process that runs cells.
    pub fn child_pid(&self) -> Option<u32> {
        let child = self.child.lock().unwrap_or_else(|e| e.into_inner()).clone()?;
        child.lock().ok().map(|c| c.id())
    }

    /// Ends the process that runs cells (when the kernel process ends without a shutdown).
    pub fn kill_child(&self) {
        if let Some(child) = self.child.lock().unwrap_or_else(|e| e.into_inner()).clone()
            && let Ok(mut child) = child.lock()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a new engine thread after the previous one stopped on a fault: the new engine
    /// boots like a kernel start, and its first cell reports that variables were lost.
    fn restart(&self, fault: String) {
        eprintln!("rust-mstic: the engine stopped ({fault}); restarting it");
        self.kill_child();
        for flag in [&self.ready, &self.warmed, &self.cooperative] {
            flag.store(false, Ordering::SeqCst);
        }
        self.running.store(0, Ordering::SeqCst);
        self.widening.store(0, Ordering::SeqCst);
        let (tx, rx) = mpsc::channel();
        *self.tx.lock().unwrap_or_else(|e| e.into_inner()) = tx;
        let note = format!(
            "the engine that runs cells stopped after a fault ({fault}) and was restarted: variables of earlier cells were lost"
        );
        spawn_engine(self.clone(), rx, Box::new(|| Ok(())), Some(note));
    }
}

/// The parts every engine of a kernel shares, kept for a restart.
struct EngineParts {
    iopub: Iopub,
    stdin: Stdin,
    progress: Progress,
    preload: Preload,
    /// The comm registry, which carries magic cells' queries to the cell process.
    comms: Comms,
}

/// What the engine loads at start: the preload cell and the folder of the crates it loads.
pub struct Preload {
    /// The preload cell (facade, prelude, display shortcut).
    pub code: String,
    /// The command that widens rust-analyzer's view of the crates (`support::widen_command`).
    pub widen: String,
    /// The crates' folder (`crates/` of the installed workspace copy), read for completions.
    pub sources: std::path::PathBuf,
}

/// How long the engine waits without work before it checks that a standby engine is ready for
/// the next kernel start.
const IDLE_BEFORE_STANDBY: Duration = Duration::from_secs(8);

/// How long the engine waits without work before it returns free memory to the system (see
/// `crate::memory`).
const IDLE_BEFORE_TRIM: Duration = Duration::from_millis(1500);

/// A step run on the engine thread before evcxr starts (filling the scratch directory).
pub type Prepare = Box<dyn FnOnce() -> anyhow::Result<()> + Send>;

/// Starts the engine thread: `prepare`, then evcxr, then the `preload` code.
pub fn start(iopub: Iopub, stdin: Stdin, progress: Progress, preload: Preload, comms: Comms, prepare: Prepare) -> EngineHandle {
    let (tx, rx) = mpsc::channel();
    let handle = EngineHandle {
        tx: Arc::new(Mutex::new(tx)),
        ready: Arc::new(AtomicBool::new(false)),
        warmed: Arc::new(AtomicBool::new(false)),
        boot_failed: Arc::new(AtomicBool::new(false)),
        running: Arc::new(AtomicU64::new(0)),
        running_magic: Arc::new(AtomicU64::new(0)),
        interrupted: Arc::new(AtomicU64::new(0)),
        widening: Arc::new(AtomicU64::new(0)),
        killed: Arc::new(AtomicU64::new(0)),
        cells_started: Arc::new(AtomicU64::new(0)),
        cooperative: Arc::new(AtomicBool::new(false)),
        child: Arc::new(Mutex::new(None)),
        parts: Arc::new(EngineParts { iopub, stdin, progress, preload, comms }),
    };
    spawn_engine(handle.clone(), rx, prepare, None);
    handle
}

/// Runs an engine on its own thread; if it stops on a fault (a panic outside a cell), the handle
/// starts a new one.
fn spawn_engine(handle: EngineHandle, rx: mpsc::Receiver<Job>, prepare: Prepare, note: Option<String>) {
    std::thread::Builder::new()
        .name("evcxr-engine".into())
        .spawn(move || {
            if let Err(e) = prepare() {
                eprintln!("rust-mstic: preparing the scratch directory failed: {e:#}");
            }
            let parts = handle.parts.clone();
            let h = handle.clone();
            let ran = catch_unwind(AssertUnwindSafe(move || {
                let mut engine = Engine::boot(h, parts.iopub.clone(), parts.stdin.clone(), parts.progress.clone(), &parts.preload);
                if let Some(note) = note {
                    engine.startup_error = Some(engine.startup_error.take().map_or(note.clone(), |e| format!("{note}; {e}")));
                }
                engine.run(rx)
            }));
            if let Err(panic) = ran {
                handle.restart(panic_text(&panic));
            }
        })
        .expect("spawn engine thread");
}

/// What running a cell through evcxr gives (a panic inside evcxr is caught).
type CellRun = std::thread::Result<Result<EvalOutputs, EvcxrError>>;

/// Runs a cell with the types the compiler names for its variables written on their `let`s (see
/// `crate::type_probe`). `None` when the cell is not run: the probe found an error of the cell's
/// own or no type for any variable, the cell was interrupted, or the cell with the types written
/// did not compile. The caller then runs the cell as written (and evcxr reports its errors).
fn run_with_probed_types(
    ctx: &mut CommandContext,
    probe: &TypeProbe,
    source: &str,
    run_code: &dyn Fn(&mut CommandContext, &str) -> CellRun,
    interrupted: &dyn Fn() -> bool,
) -> Option<CellRun> {
    let started = Instant::now();
    let probed = crate::cellbuild::with_whole_type_paths(|| run_code(ctx, &probe.code(source)));
    let Ok(Err(EvcxrError::CompilationErrors(errors))) = &probed else {
        return None;
    };
    let messages: Vec<String> = errors.iter().map(|e| type_probe::plain_text(&e.rendered())).collect();
    if errors.iter().zip(&messages).any(|(error, text)| error.level() == "error" && !type_probe::is_probe_message(text)) {
        return None;
    }
    let Some((annotated, left)) = probe.annotate(source, &messages.join("\n")) else {
        eprintln!("rust-mstic: the compiler named no type a cell can hold for {}", probe.names().join(", "));
        return None;
    };
    if interrupted() {
        return None;
    }
    let typed: Vec<&str> = probe.names().into_iter().filter(|name| !left.contains(name)).collect();
    eprintln!("rust-mstic: types of {} from the compiler in {:.2} s", typed.join(", "), started.elapsed().as_secs_f64());
    let run = run_code(ctx, &annotated);
    if matches!(&run, Ok(Err(EvcxrError::CompilationErrors(_)))) {
        eprintln!("rust-mstic: the cell did not compile with the types the compiler named");
        return None;
    }
    Some(run)
}

/// Turns rust-analyzer's lean view into the pruned one (see `crate::analysis`) and loads it:
/// `widen` restates the manifest, so rust-analyzer reads the crate graph again. Returns whether
/// the view was lean.
fn widen_analysis(ctx: &mut CommandContext, widen: &str) -> bool {
    if !crate::analysis::widen() {
        return false;
    }
    let started = Instant::now();
    match catch_unwind(AssertUnwindSafe(|| ctx.execute(widen))) {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => eprintln!("rust-mstic: widening rust-analyzer's view: {}", errors::describe(&e)),
        Err(_) => eprintln!("rust-mstic: evcxr panicked while widening rust-analyzer's view"),
    }
    eprintln!("rust-mstic: rust-analyzer's view widened in {:.1} s", started.elapsed().as_secs_f64());
    true
}

/// Runs one completion over typed variables, so rust-analyzer analyses what first cells
/// typically hold.
fn warm(ctx: &mut CommandContext) {
    let started = Instant::now();
    let code = support::ANALYZER_WARMUP;
    let _ = catch_unwind(AssertUnwindSafe(|| ctx.completions(code, code.len())));
    eprintln!("rust-mstic: rust-analyzer warmed in {:.1} s", started.elapsed().as_secs_f64());
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}

struct Engine {
    handle: EngineHandle,
    iopub: Iopub,
    stdin: Stdin,
    progress: Progress,
    ctx: Option<CommandContext>,
    pump: Option<OutputPump>,
    startup_error: Option<String>,
    needs_support: bool,
    /// The `mstic` crates are loaded (so the support code can install the interrupt listener).
    preloaded: bool,
    /// Field and method visibilities learnt from hovers, by the completion's field names and the
    /// item's name and kind.
    item_access: std::collections::HashMap<String, ItemAccess>,
    /// The preloaded crates' folder (`crates/` of the installed workspace copy).
    sources: std::path::PathBuf,
    /// The methods our crates declare privately (read from `sources` at the first completion).
    private_methods: std::sync::OnceLock<completion::PrivateMethods>,
    /// The owner (crate, type) of the receiver of a completion, by the completions offered, once
    /// the hover of one of its private methods told it.
    method_owners: std::collections::HashMap<String, (String, String)>,
    /// Results of magic cells to bind as Rust variables before the next Rust cell.
    pending: PendingBindings,
    /// The command that widens rust-analyzer's view (see [`widen_analysis`]).
    widen: String,
}

impl Engine {
    fn boot(handle: EngineHandle, iopub: Iopub, stdin: Stdin, progress: Progress, preload: &Preload) -> Engine {
        let mut engine = Engine {
            handle,
            iopub,
            stdin,
            progress,
            ctx: None,
            pump: None,
            startup_error: None,
            needs_support: false,
            preloaded: false,
            item_access: std::collections::HashMap::new(),
            sources: preload.sources.clone(),
            private_methods: std::sync::OnceLock::new(),
            method_owners: std::collections::HashMap::new(),
            pending: PendingBindings::default(),
            widen: preload.widen.clone(),
        };
        let booting = std::time::Instant::now();
        match catch_unwind(CommandContext::new) {
            Ok(Ok((ctx, outputs))) => {
                eprintln!("rust-mstic: evcxr started in {:.1} s", booting.elapsed().as_secs_f64());
                *engine.handle.child.lock().unwrap() = Some(ctx.process_handle());
                engine.pump = Some(OutputPump::start(engine.iopub.clone(), outputs.stdout, outputs.stderr));
                engine.ctx = Some(ctx);
                let started = std::time::Instant::now();
                match engine.run_quietly(&preload.code) {
                    Ok(()) => {
                        engine.preloaded = true;
                        engine.handle.cooperative.store(true, Ordering::SeqCst);
                    }
                    Err(e) => {
                        engine.startup_error = Some(format!("loading the mstic crates failed: {e}"));
                        let _ = engine.run_quietly(SUPPORT_CODE);
                    }
                }
                eprintln!("rust-mstic: preload finished in {:.1} s", started.elapsed().as_secs_f64());
            }
            Ok(Err(e)) => engine.startup_error = Some(format!("evcxr could not start: {e}")),
            Err(_) => engine.startup_error = Some("evcxr panicked while starting".into()),
        }
        if let Some(e) = &engine.startup_error {
            engine.handle.boot_failed.store(true, Ordering::SeqCst);
            eprintln!("rust-mstic: {e}");
        }
        engine.handle.ready.store(true, Ordering::SeqCst);
        engine
    }

    /// Runs the support code in a new cell process (after the previous one ended).
    fn install_support(&mut self) {
        if !self.pending.names().is_empty() {
            // The results lived in the process that ended.
            eprintln!("rust-mstic: results of magic cells lost with the cell process: {}", self.pending.names().join(", "));
            self.pending.clear();
        }
        let _ = self.run_quietly(SUPPORT_CODE);
        let listening = self.preloaded && self.run_quietly(support::INTERRUPT_SUPPORT).is_ok();
        self.handle.cooperative.store(listening, Ordering::SeqCst);
    }

    fn run_quietly(&mut self, code: &str) -> Result<(), String> {
        let ctx = self.ctx.as_mut().ok_or("no evcxr context")?;
        match catch_unwind(AssertUnwindSafe(|| ctx.execute(code))) {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(errors::describe(&e)),
            Err(_) => Err("evcxr panicked".into()),
        }
    }

    fn run(mut self, rx: mpsc::Receiver<Job>) {
        // A standby engine loads rust-analyzer's view of the crates now, before a kernel adopts
        // it (unless a request is already waiting). A kernel's own engine keeps the lean view
        // until a completion or hover asks for the wide one, or a cell's types cannot be found
        // otherwise (see `execute`): widening takes 10–15 s that no interrupt can cut short, and a
        // cell sent meanwhile would wait for it.
        let standby = std::env::var_os(crate::standby::ADOPT_ENV).is_some();
        let mut next = match rx.try_recv() {
            Ok(job) => Some(job),
            Err(_) if standby => self.warm_analyzer(&rx),
            Err(_) => None,
        };
        self.handle.warmed.store(true, Ordering::SeqCst);
        let mut trim_pending = true;
        loop {
            let wait = if trim_pending { IDLE_BEFORE_TRIM } else { IDLE_BEFORE_STANDBY };
            let job = match next.take() {
                Some(job) => job,
                None => match rx.recv_timeout(wait) {
                    Ok(job) => job,
                    Err(mpsc::RecvTimeoutError::Timeout) if trim_pending => {
                        trim_pending = false;
                        crate::memory::release_free_memory();
                        if timing::enabled()
                            && let Some(bytes) = crate::memory::resident_bytes()
                        {
                            eprintln!("rust-mstic timing: resident memory after idle trim {} MB", bytes >> 20);
                        }
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if !self.handle.boot_failed.load(Ordering::SeqCst) {
                            crate::standby::ensure_one();
                        }
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                },
            };
            trim_pending = true;
            match job {
                Job::Execute { code, parent, silent, allow_stdin, count, reply } => {
                    if fault_injection_enabled() && code.trim() == ":mstic_fault engine_panic" {
                        panic!("fault injected by a cell (MSTIC_FAULT_INJECTION)");
                    }
                    let outcome = self.execute(&code, &parent, silent, allow_stdin, count);
                    let _ = reply.send(outcome);
                }
                Job::Complete { code, pos, reply } => {
                    if crate::analysis::is_lean() {
                        next = self.warm_analyzer(&rx);
                    }
                    let _ = reply.send(self.complete(&code, pos));
                }
                Job::Inspect { code, pos, reply } => {
                    if crate::analysis::is_lean() {
                        next = self.warm_analyzer(&rx);
                    }
                    let _ = reply.send(self.inspect(&code, pos));
                }
            }
        }
    }

    /// What every cell does first (Rust or magic): numbers it, forgets a stop request left from
    /// the previous cell, shows a startup error once, and runs the support code in a new cell
    /// process. Returns the cell's number.
    fn begin_cell(&mut self, parent: &Message) -> u64 {
        let cell = self.handle.cells_started.fetch_add(1, Ordering::SeqCst) + 1;
        if self.handle.cooperative.load(Ordering::SeqCst) {
            // Forget a stop request that arrived after the previous cell ended.
            interrupt::signal(self.handle.child_pid().unwrap_or(0), interrupt::NEW_CELL);
        }
        if let Some(e) = self.startup_error.take() {
            self.iopub.publish(Some(parent), "stream", json!({"name": "stderr", "text": format!("rust-mstic: {e}\n")}));
        }
        if self.needs_support {
            self.needs_support = false;
            self.install_support();
        }
        cell
    }

    fn execute(&mut self, code: &str, parent: &Message, silent: bool, allow_stdin: bool, count: u32) -> ExecOutcome {
        if let Some(magic) = magic::parse(code) {
            return self.execute_magic(magic, parent, silent, count);
        }
        let mut timer = CellTimer::start();
        let cell = self.begin_cell(parent);
        if let Some(bindings) = self.pending.code() {
            let names = self.pending.names().join(", ");
            self.pending.clear();
            if let Err(e) = self.run_quietly(&bindings) {
                let text = format!("rust-mstic: the results of magic cells ({names}) could not be bound as variables: {e}\n");
                self.iopub.publish(Some(parent), "stream", json!({"name": "stderr", "text": text}));
            }
            timer.mark("magic bindings");
        }
        let (Some(ctx), Some(pump)) = (self.ctx.as_mut(), self.pump.clone()) else {
            let error = Some(CellError::plain("KernelError", "evcxr is not available"));
            return ExecOutcome { error, pages: vec![], result_text: None };
        };
        let variables_before: Vec<String> = ctx.variables_and_types().map(|(n, _)| n.to_string()).collect();
        pump.begin(parent, silent);
        self.progress.begin(parent);
        let syncs = pump.syncs();
        let read_input = InputReader {
            stdin: &self.stdin,
            iopub: &self.iopub,
            parent,
            allow_stdin,
            silent,
            interrupted: &self.handle.interrupted,
            cell,
        };
        timer.mark("setup");
        self.handle.running.store(cell, Ordering::SeqCst);
        let adjusted = support::end_never_loop(code);
        let source = adjusted.as_deref().unwrap_or(code);
        let run_code = |ctx: &mut CommandContext, code: &str| {
            catch_unwind(AssertUnwindSafe(|| {
                let mut callbacks = EvalCallbacks { input_reader: &|request| read_input.read(&request.prompt, request.is_password) };
                ctx.execute_with_callbacks(code, &mut callbacks)
            }))
        };
        // Variables whose types rust-analyzer cannot infer (in the lean view, or from a crate left
        // out of the view) stop a cell before it runs: evcxr asks for the types first. The compiler
        // names them (see `crate::type_probe`): at once in the lean view, when a `let` has more
        // than a simple value (`TypeProbe::needs_the_compiler`); else after evcxr's attempt.
        // Failing that, a lean view is widened and the cell runs again (unless it was interrupted).
        let interrupted_now = || self.handle.interrupted.load(Ordering::SeqCst) == cell;
        let unknown_type = |result: &CellRun| matches!(result, Ok(Err(e)) if crate::analysis::is_unknown_type(&e.to_string()));
        let probe = TypeProbe::plan(source);
        let probe_first = crate::analysis::is_lean() && probe.as_ref().is_some_and(TypeProbe::needs_the_compiler);
        let probed_run = probe
            .as_ref()
            .filter(|_| probe_first)
            .and_then(|probe| run_with_probed_types(ctx, probe, source, &run_code, &interrupted_now));
        let mut result = match probed_run {
            Some(run) => run,
            None if interrupted_now() => Ok(Err(EvcxrError::Message("interrupted before the cell ran".into()))),
            None => run_code(ctx, source),
        };
        if unknown_type(&result)
            && !probe_first
            && !interrupted_now()
            && let Some(probe) = &probe
            && let Some(typed) = run_with_probed_types(ctx, probe, source, &run_code, &interrupted_now)
        {
            result = typed;
        }
        if unknown_type(&result) && crate::analysis::is_lean() && !interrupted_now() {
            if !silent {
                let text = "rust-mstic: loading rust-analyzer's view of the crates to infer this cell's variable types \
                            (once per kernel, 10–15 s)…\n";
                self.iopub.publish(Some(parent), "stream", json!({"name": "stderr", "text": text}));
            }
            self.handle.widening.store(cell, Ordering::SeqCst);
            let widened = widen_analysis(ctx, &self.widen);
            self.handle.widening.store(0, Ordering::SeqCst);
            if widened && !interrupted_now() {
                result = run_code(ctx, source);
            }
        }
        self.handle.running.store(0, Ordering::SeqCst);
        timer.mark("evcxr");
        let ran = matches!(result, Ok(Ok(_)));
        pump.finish(syncs, Duration::from_millis(if ran { 1000 } else { 60 }));
        timer.mark("output flush");
        self.progress.end();
        if timing::enabled() {
            let phases: Vec<(String, Duration)> = match &result {
                Ok(Ok(outputs)) => outputs.phases.iter().map(|p| (p.name.clone(), p.duration)).collect(),
                _ => vec![],
            };
            timer.report(&format!("cell {count}"), &phases);
        }
        let interrupted = self.handle.interrupted.load(Ordering::SeqCst) == cell;
        let killed = self.handle.killed.load(Ordering::SeqCst) == cell;
        let mut result_text = None;
        let error = match result {
            Ok(Ok(outputs)) => match (pump.take_panic(), pump.take_question_mark()) {
                (Some(message), _) if interrupted => Some(errors::interrupted(&message)),
                (None, Some(printed)) if interrupted => Some(errors::interrupted(&printed)),
                (Some(message), _) => Some(errors::panic(&message)),
                (None, Some(printed)) => Some(errors::question_mark(&printed)),
                (None, None) => {
                    let unit = outputs.content_by_mime_type.len() == 1
                        && outputs.content_by_mime_type.get("text/plain").is_some_and(|t| t == "()");
                    result_text = outputs.content_by_mime_type.get("text/plain").cloned();
                    if !silent && !unit && !outputs.content_by_mime_type.is_empty() {
                        let data: serde_json::Map<String, Value> = outputs
                            .content_by_mime_type
                            .into_iter()
                            .map(|(mime, text)| {
                                let value = if mime.contains("json") {
                                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                                } else {
                                    Value::String(text)
                                };
                                (mime, value)
                            })
                            .collect();
                        self.iopub.publish(
                            Some(parent),
                            "execute_result",
                            json!({"execution_count": count, "data": data, "metadata": {}}),
                        );
                    }
                    None
                }
            },
            Ok(Err(EvcxrError::CompilationErrors(errs))) => Some(errors::compilation(&errs, code)),
            Ok(Err(EvcxrError::TypeRedefinedVariablesLost(vars))) => Some(CellError::plain(
                "TypeRedefinedVariablesLost",
                format!("a type was redefined, so these variables were lost: {}", vars.join(", ")),
            )),
            Ok(Err(EvcxrError::SubprocessTerminated(message))) => {
                self.needs_support = true;
                self.handle.cooperative.store(false, Ordering::SeqCst);
                Some(lost_state(killed, &message, &variables_before))
            }
            Ok(Err(EvcxrError::Message(message))) if interrupted => Some(CellError::plain(
                "Interrupted",
                format!("the cell was interrupted while compiling; no variables were lost ({})", first_line(&message)),
            )),
            Ok(Err(e)) => Some(CellError::plain("Error", crate::analysis::explain_unknown_type(e.to_string()))),
            Err(_) => Some(CellError::plain("KernelError", "evcxr panicked while running the cell; the kernel is still running")),
        };
        if let Some(error) = &error
            && interrupted
            && !silent
        {
            let text = format!("Interrupted: {}\n", error.evalue);
            self.iopub.publish(Some(parent), "stream", json!({"name": "stderr", "text": text}));
        }
        if let Some(error) = &error
            && !silent
        {
            self.iopub.publish(
                Some(parent),
                "error",
                json!({"ename": error.ename, "evalue": error.evalue, "traceback": error.traceback}),
            );
        }
        ExecOutcome { error, pages: pump.take_pages(), result_text }
    }

    /// Runs a magic cell (`%%sql`, `%%kql`): its query goes to the cell process over the comm
    /// socket and its result table comes back; evcxr and its variables are not touched and nothing
    /// is compiled. A named result is bound as a Rust variable before the next Rust cell.
    fn execute_magic(&mut self, magic: Result<MagicCell, String>, parent: &Message, silent: bool, count: u32) -> ExecOutcome {
        let started = Instant::now();
        let cell = self.begin_cell(parent);
        let language = magic.as_ref().map(|m| m.language.clone()).unwrap_or_default();
        let answer = match magic {
            Err(message) => Err(CellError::plain("MagicError", message)),
            Ok(_) if !self.preloaded || self.ctx.is_none() => Err(CellError::plain(
                "KernelError",
                "%%sql and %%kql cells need the mstic crates, which did not load (see the first cell's error)",
            )),
            Ok(magic) => self.run_magic(&magic, parent, silent, cell).map(|answer| (magic, answer)),
        };
        let interrupted = self.handle.interrupted.load(Ordering::SeqCst) == cell;
        let mut result_text = None;
        let error = match answer {
            Ok((magic, answer)) if answer["ok"] == true => {
                let data = if answer["data"].is_object() { answer["data"].clone() } else { json!({}) };
                result_text = data["text/plain"].as_str().map(str::to_string);
                if !silent {
                    self.iopub.publish(Some(parent), "execute_result", json!({"execution_count": count, "data": data, "metadata": {}}));
                }
                if let Some(name) = &magic.name {
                    self.pending.add(name);
                }
                None
            }
            Ok((_, answer)) => {
                let ename = answer["ename"].as_str().unwrap_or("Error");
                let ename = if interrupted && ename != "Interrupted" { "Interrupted" } else { ename };
                Some(CellError::plain(ename, answer["evalue"].as_str().unwrap_or("the query failed")))
            }
            Err(error) => Some(error),
        };
        if let Some(error) = &error
            && !silent
        {
            if error.ename == "Interrupted" {
                let text = format!("Interrupted: {}\n", error.evalue);
                self.iopub.publish(Some(parent), "stream", json!({"name": "stderr", "text": text}));
            }
            self.iopub.publish(Some(parent), "error", json!({"ename": error.ename, "evalue": error.evalue, "traceback": error.traceback}));
        }
        if timing::enabled() {
            eprintln!(
                "rust-mstic timing: cell {count} (%%{language}): total {:.0} ms; magic query, no compile",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
        ExecOutcome { error, pages: vec![], result_text }
    }

    /// Sends a magic cell's query to the cell process and waits for the answer (the
    /// `magic_result` line). An interrupt asks the query to stop; one that does not stop within
    /// the grace period is left to finish in the background, its result dropped.
    fn run_magic(&mut self, magic: &MagicCell, parent: &Message, silent: bool, cell: u64) -> Result<Value, CellError> {
        let pump = self.pump.clone();
        if let Some(pump) = &pump {
            // What the query prints belongs to this cell.
            pump.begin(parent, silent);
        }
        self.handle.running_magic.store(cell, Ordering::SeqCst);
        self.handle.running.store(cell, Ordering::SeqCst);
        let comms = &self.handle.parts.comms;
        let sent = comms.send_magic(self.handle.child_pid(), &magic.language, magic.name.as_deref(), &magic.body, Duration::from_secs(10));
        let answer = match sent {
            Ok(call) => self.wait_for_magic(&call, cell, &magic.language),
            Err(message) => Err(CellError::plain("KernelError", message)),
        };
        self.handle.running.store(0, Ordering::SeqCst);
        self.handle.running_magic.store(0, Ordering::SeqCst);
        if let Some(pump) = &pump {
            pump.finish(pump.syncs(), Duration::ZERO);
            // A panic in the query was already turned into its error.
            let _ = pump.take_panic();
        }
        answer
    }

    fn wait_for_magic(&self, call: &MagicCall, cell: u64, language: &str) -> Result<Value, CellError> {
        let mut give_up: Option<Instant> = None;
        loop {
            match call.wait(Duration::from_millis(20)) {
                Ok(answer) => return Ok(answer),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(CellError::plain("KernelError", "the answer to the query was lost"));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if self.handle.interrupted.load(Ordering::SeqCst) != cell {
                        continue;
                    }
                    let deadline = *give_up.get_or_insert_with(|| Instant::now() + interrupt::grace());
                    if Instant::now() >= deadline {
                        return Err(CellError::plain(
                            "Interrupted",
                            format!(
                                "the {language} query did not stop within {:.0} s of the interrupt; it goes on in the \
                                 background and its result will be dropped. No variables were lost.",
                                interrupt::grace().as_secs_f64()
                            ),
                        ));
                    }
                }
            }
        }
    }

    /// Widens rust-analyzer's view when it is lean (see [`widen_analysis`]) and warms it: the
    /// first analysis of the view reads the standard library and every preloaded crate (seconds),
    /// which would otherwise delay a cell. When a request arrived while the view widened, it is
    /// returned instead of warming (its own analysis loads what it needs).
    fn warm_analyzer(&mut self, rx: &mpsc::Receiver<Job>) -> Option<Job> {
        let ctx = self.ctx.as_mut()?;
        if widen_analysis(ctx, &self.widen)
            && let Ok(job) = rx.try_recv()
        {
            return Some(job);
        }
        warm(ctx);
        None
    }

    /// Completions at byte `pos`, ranked by [`completion::rank`]: the type's own items first,
    /// standard trait methods last, private fields of our crates' types left out.
    fn complete(&mut self, code: &str, pos: usize) -> Value {
        let empty = json!({"status": "ok", "matches": [], "cursor_start": pos, "cursor_end": pos, "metadata": {}});
        let Some(ctx) = self.ctx.as_mut() else { return empty };
        let Ok(Ok(c)) = catch_unwind(AssertUnwindSafe(|| ctx.completions(code, pos))) else { return empty };
        let (start, end) = (c.start_offset, c.end_offset);
        let dot = completion::after_dot(code, start);
        // The fields offered identify the receiver's type well enough to key the cache.
        let offered: Vec<completion::Completion> =
            c.completions.into_iter().map(|c| completion::Completion { code: c.code, kind: c.kind }).collect();
        let fields: Vec<&str> = offered.iter().filter(|c| completion::is_field(c)).map(|c| c.code.as_str()).collect();
        let type_key = fields.join(",");
        // The methods offered identify the receiver's type for the owner cache.
        let offered_key: String = offered.iter().map(|c| c.code.as_str()).collect::<Vec<_>>().join(",");
        let private_methods = self.private_methods.get_or_init(|| completion::PrivateMethods::scan(&self.sources));
        let (known, owners) = (&mut self.item_access, &mut self.method_owners);
        let started = Instant::now();
        let mut hovered: std::collections::HashSet<completion::Item> = std::collections::HashSet::new();
        let mut access = |name: &str, item: completion::Item| {
            // Fields are cached by the receiver's fields, methods by everything offered.
            let key = match item {
                completion::Item::Field => format!("{type_key}#{name}"),
                completion::Item::Method => format!("{offered_key}#{name}"),
            };
            if item == completion::Item::Method
                && let Some((owner_crate, owner_type)) = owners.get(&offered_key)
            {
                let private = !completion::is_notebook_crate(owner_crate) && private_methods.is_private(owner_type, name);
                return if private { ItemAccess::Private } else { ItemAccess::Usable };
            }
            if let Some(found) = known.get(&key) {
                return *found;
            }
            // The first hover of each kind always runs: a method's settles every method, and the
            // first hover after start is the slow one.
            if started.elapsed() >= ACCESS_CHECK_BUDGET && !hovered.insert(item) {
                return ItemAccess::Unknown;
            }
            hovered.insert(item);
            let prefix = code.get(..start).unwrap_or("");
            // rust-analyzer resolves a method at the end of its name in a call.
            let probe = match item {
                completion::Item::Field => format!("{prefix}{name}"),
                completion::Item::Method => format!("{prefix}{name}()"),
            };
            let hover = match catch_unwind(AssertUnwindSafe(|| ctx.hover_at(&probe, prefix.len() + name.len()))) {
                Ok(Ok((plain, _))) => plain,
                _ => return ItemAccess::Unknown,
            };
            let found = match item {
                completion::Item::Field => completion::field_access_from_hover(name, &hover),
                completion::Item::Method => {
                    let (owner_type, found) = completion::method_from_hover(name, &hover);
                    if let Some(owner_type) = owner_type {
                        owners.insert(offered_key.clone(), (completion::owner_crate(&hover).to_string(), owner_type));
                    }
                    found
                }
            };
            known.insert(key, found);
            found
        };
        // Methods first: one hover of a method tells the receiver's type, which settles them all.
        if dot {
            let candidates = offered.iter().filter(|c| c.kind == "function").map(|c| completion::item_name(&c.code));
            for name in candidates.filter(|name| private_methods.is_candidate(name)) {
                access(name, completion::Item::Method);
            }
        }
        let matches = completion::rank(offered, dot, |name| private_methods.is_candidate(name), &mut access);
        json!({"status": "ok", "matches": matches, "cursor_start": start, "cursor_end": end, "metadata": {}})
    }

    fn inspect(&mut self, code: &str, pos: usize) -> Value {
        let not_found = json!({"status": "ok", "found": false, "data": {}, "metadata": {}});
        let Some(ctx) = self.ctx.as_mut() else { return not_found };
        match catch_unwind(AssertUnwindSafe(|| ctx.hover_at(code, pos))) {
            // evcxr answers "No documentation found" when rust-analyzer has no hover there.
            Ok(Ok((plain, html))) if !plain.trim().is_empty() && plain.trim() != "No documentation found" => json!({
                "status": "ok", "found": true,
                "data": {"text/plain": plain, "text/html": html}, "metadata": {}
            }),
            _ => not_found,
        }
    }
}

/// Answers the cell's input prompts through the stdin channel, when the request allows it.
struct InputReader<'a> {
    stdin: &'a Stdin,
    iopub: &'a Iopub,
    parent: &'a Message,
    allow_stdin: bool,
    silent: bool,
    interrupted: &'a AtomicU64,
    /// The cell asking (an interrupt of this cell cancels the prompt).
    cell: u64,
}

impl InputReader<'_> {
    fn read(&self, prompt: &str, password: bool) -> String {
        if !self.allow_stdin {
            if !self.silent {
                let text = format!(
                    "rust-mstic: this frontend does not accept input (allow_stdin is false); the prompt {prompt:?} got an empty string\n"
                );
                self.iopub.publish(Some(self.parent), "stream", json!({"name": "stderr", "text": text}));
            }
            return String::new();
        }
        let cancelled = || self.interrupted.load(Ordering::SeqCst) == self.cell;
        self.stdin.ask(self.parent, prompt, password, &cancelled).unwrap_or_default()
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

fn lost_state(killed: bool, message: &str, variables: &[String]) -> CellError {
    let lost = if variables.is_empty() { "none".to_string() } else { variables.join(", ") };
    let what = if killed {
        format!(
            "the cell did not stop within {:.0} s of the interrupt, so the process running the cells was stopped",
            interrupt::grace().as_secs_f64()
        )
    } else {
        format!("the process running the cells ended ({}); it has been restarted", first_line(message))
    };
    let mut error = CellError::plain(
        if killed { "Interrupted" } else { "ProcessEnded" },
        format!("{what}. Variables lost: {lost}. Dependencies, functions and types are kept."),
    );
    error.traceback.push(format!("Re-run the cells that define: {lost}"));
    error
}

/// Whether test-only faults may be injected (`MSTIC_FAULT_INJECTION=1` in the kernel's environment).
fn fault_injection_enabled() -> bool {
    std::env::var("MSTIC_FAULT_INJECTION").is_ok_and(|v| v == "1")
}
