//! The message catalogue: every string the app shows, in English and Hindi.
//!
//! Components never write visible text themselves; they ask for a `Msg` in the current `Lang`.
//! A test checks that every message has both languages and that the Hindi is in Devanagari.
//! Placeholders `{0}`, `{1}` are filled by `fill`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Hi,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "hi" => Some(Lang::Hi),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Hi,
            Lang::Hi => Lang::En,
        }
    }
}

macro_rules! catalogue {
    ($($key:ident => $en:expr, $hi:expr;)*) => {
        /// A message of the catalogue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Msg { $($key),* }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$key),*];

            pub fn en(self) -> &'static str {
                match self { $(Msg::$key => $en),* }
            }

            pub fn hi(self) -> &'static str {
                match self { $(Msg::$key => $hi),* }
            }
        }
    };
}

catalogue! {
    AppName => "Lokal", "लोकल";
    Tagline => "Microservices on a Mumbai local map", "मुंबई लोकल के नक्शे पर माइक्रोसर्विसेज़";
    Scenario => "Scenario", "परिदृश्य";
    ChooseScenario => "Choose a scenario", "परिदृश्य चुनें";
    CustomScenario => "Your scenario", "आपका परिदृश्य";
    Play => "Play", "चलाएँ";
    Pause => "Pause", "रोकें";
    Replay => "Replay", "फिर से चलाएँ";
    TimeBar => "Scripted moments of this run", "इस रन के तय पल";
    JumpTo => "Jump to {0}: {1}", "{0} पर जाएँ: {1}";
    WatchNext => "Next, at {0}: {1}", "आगे, {0} पर: {1}";
    WatchNoMore => "No more scripted moments: select a station and break it yourself.", "अब कोई तय पल नहीं: कोई स्टेशन चुनकर खुद उसे तोड़िए।";
    WatchNothingScripted => "This scenario scripts no faults: press Play and watch the queue, or select a station and break it.", "इस परिदृश्य में कोई तय खराबी नहीं: चलाएँ और कतार देखिए, या कोई स्टेशन चुनकर उसे तोड़िए।";
    WatchSpike => "traffic ×{0} for {1} — watch which station saturates first", "{1} तक ट्रैफ़िक ×{0} — देखिए कौन-सा स्टेशन पहले भरता है";
    WatchRate => "arrivals change to {0}/s", "आगमन {0}/से हो जाता है";
    WatchSlow => "{0} becomes ×{1} slower — watch its callers' workers fill up", "{0} ×{1} धीमा हो जाता है — देखिए उसे बुलाने वालों के वर्कर कैसे भरते हैं";
    WatchErrors => "{0} fails {1} % of calls — watch the error rates and any breaker on the way", "{0} {1} % कॉल में विफल — त्रुटि दर और रास्ते के ब्रेकर देखिए";
    WatchCrash => "{0} instance #{1} crashes — watch calls to it fail", "{0} इंस्टेंस #{1} बंद होता है — देखिए उसकी कॉल कैसे विफल होती हैं";
    WatchRestart => "{0} instance #{1} comes back", "{0} इंस्टेंस #{1} लौटता है";
    WatchPartition => "{0} and {1} lose each other — watch messages between them get lost", "{0} और {1} का संपर्क टूटता है — देखिए उनके बीच संदेश कैसे खोते हैं";
    WatchHeal => "every fault ends — watch the queues drain", "हर खराबी खत्म — देखिए कतारें कैसे खाली होती हैं";
    WatchPolicy => "a protection changes", "एक सुरक्षा बदलती है";
    StartHint => "Start here: press ▶ Play (or Space). The marks on the bar under the map are this scenario's big moments — jump to one, or click a station to break it yourself.", "यहाँ से शुरू करें: ▶ चलाएँ दबाएँ (या Space)। नक्शे के नीचे की पट्टी पर निशान इस परिदृश्य के बड़े पल हैं — किसी पर जाएँ, या कोई स्टेशन चुनकर खुद उसे तोड़िए।";
    GotIt => "Got it", "समझ गया";
    ShortcutZoom => "Zoom the map in / out (also Ctrl + wheel, a pinch, or the + − buttons)", "नक्शा ज़ूम इन / आउट (Ctrl + व्हील, पिंच, या + − बटन से भी)";
    ShortcutPan => "Move the zoomed map (or drag it)", "ज़ूम किया नक्शा खिसकाएँ (या खींचें)";
    ShortcutFit => "Show the whole map (Fit)", "पूरा नक्शा दिखाएँ";
    SegmentHealth => "{0} – {1}: {2} % of answers failed ({3}/s)", "{0} – {1}: {2} % उत्तर विफल ({3}/से)";
    AllDown => "all down", "सब बंद";
    ErrorsShare => "{0} % errors", "{0} % त्रुटियाँ";
    MapZoom => "Map zoom", "नक्शे का ज़ूम";
    ZoomIn => "Zoom in", "ज़ूम इन";
    ZoomOut => "Zoom out", "ज़ूम आउट";
    FitMap => "Fit", "पूरा नक्शा";
    More => "More", "और";
    Less => "Less", "कम";
    SkipToMap => "Skip to the map", "सीधे नक्शे पर जाएँ";
    Step => "Step to the next event", "अगली घटना तक बढ़ें";
    StepShort => "Step", "एक कदम";
    Restart => "Restart", "फिर से शुरू";
    Speed => "Speed", "गति";
    Slower => "Slower", "धीमा";
    Faster => "Faster", "तेज़";
    Seed => "Seed", "सीड";
    Reseed => "New seed", "नया सीड";
    ApplySeed => "Use this seed", "यह सीड लगाएँ";
    Language => "हिन्दी", "English";
    LanguageName => "Switch to Hindi", "अंग्रेज़ी में बदलें";
    Help => "Keyboard shortcuts", "कीबोर्ड शॉर्टकट";
    Close => "Close", "बंद करें";
    VirtualTime => "Virtual time", "आभासी समय";
    Behind => "The simulation cannot keep up at this speed; it is running slower than asked.", "इस गति पर सिमुलेशन पीछे रह गया है; यह माँगी गई गति से धीमा चल रहा है।";
    BehindShort => "Falling behind", "पीछे चल रहा है";
    Finished => "Run finished: every request has drained.", "रन पूरा हुआ: सभी अनुरोध निपट गए।";
    Arrived => "Arrived", "आए";
    Completed => "Completed", "पूरे हुए";
    Failed => "Failed", "विफल";
    Rejected => "Rejected", "अस्वीकृत";
    TimedOut => "Timed out", "समय समाप्त";
    InFlight => "In flight", "रास्ते में";
    Throughput => "Throughput (ok/s, virtual time)", "थ्रूपुट (सफल/से, आभासी समय)";
    Arrivals => "Arriving (/s, virtual time)", "आगमन (/से, आभासी समय)";
    LatencyLastSecond => "last second", "पिछला सेकंड";
    LatencyWholeRun => "whole run", "पूरा रन";
    NoneCompleted => "— (none completed)", "— (कोई पूरा नहीं हुआ)";
    ErrorRate => "Error rate", "त्रुटि दर";
    Latency => "Latency", "विलंब";
    RequestsPerSecond => "requests/s", "अनुरोध/से";
    Milliseconds => "ms", "मि.से.";
    Percent => "%", "%";
    ChartThroughput => "Throughput (successful requests/s)", "थ्रूपुट (सफल अनुरोध/से)";
    ChartErrors => "Error rate (%)", "त्रुटि दर (%)";
    ChartDrain => "drain: no new arrivals", "ड्रेन: नए अनुरोध नहीं";
    ChartLatency => "Latency (ms): p50, p95, p99", "विलंब (मि.से.): p50, p95, p99";
    ChartTime => "virtual time (s)", "आभासी समय (से)";
    ChartsHeading => "Charts", "चार्ट";
    ChartsLabel => "Throughput, error rate and latency over virtual time", "आभासी समय के साथ थ्रूपुट, त्रुटि दर और विलंब";
    MapLabel => "Service map: stations are services, lines are tracks", "सर्विस मैप: स्टेशन सेवाएँ हैं, लाइनें पटरियाँ";
    Legend => "Legend", "संकेत";
    LegendRequest => "request on its way", "जाता हुआ अनुरोध";
    LegendBand => "busy track: a band, width = rate, stripes = outcomes", "व्यस्त ट्रैक: पट्टी, चौड़ाई = दर, धारियाँ = नतीजे";
    LegendVirtualRates => "every rate is per second of virtual time", "हर दर आभासी समय के प्रति सेकंड में है";
    LegendOk => "answer: success", "उत्तर: सफल";
    LegendError => "answer: error", "उत्तर: त्रुटि";
    LegendRejected => "answer: rejected (queue full)", "उत्तर: अस्वीकृत (कतार भरी)";
    LegendTimeout => "answer: timeout", "उत्तर: समय समाप्त";
    LegendLost => "lost in a partition", "विभाजन में खोया";
    LegendInterchange => "interchange (two or more lines)", "इंटरचेंज (दो या अधिक लाइनें)";
    LegendInstance => "instance (dark cap): a cell per worker, filled = busy (or a box filled to the busy share); orange bar = queue, its length written when deep", "इंस्टेंस (गहरी टोपी): हर वर्कर का खाना, भरा = व्यस्त (या व्यस्त हिस्से तक भरा डिब्बा); नारंगी पट्टी = कतार, गहरी हो तो लंबाई लिखी";
    LegendDown => "instance down", "इंस्टेंस बंद";
    PaletteNote => "Line colours are a colour-blind-safe design inspired by Mumbai's suburban lines, not an official scheme.", "लाइनों के रंग मुंबई की उपनगरीय लाइनों से प्रेरित, रंग-अंधता के अनुकूल डिज़ाइन हैं; आधिकारिक योजना नहीं।";
    Inspect => "Inspect", "जाँचें";
    InspectHint => "Select a station on the map (click, or Tab and Enter) to see its live figures and break it.", "नक्शे पर कोई स्टेशन चुनें (क्लिक करें, या Tab और Enter) ताकि उसके लाइव आँकड़े दिखें और उसे तोड़ सकें।";
    Station => "Station", "स्टेशन";
    NoServiceHere => "No service runs at this station.", "इस स्टेशन पर कोई सेवा नहीं चलती।";
    ClientsHere => "Clients send their requests from here.", "ग्राहक यहीं से अनुरोध भेजते हैं।";
    InstancesUp => "Instances up", "चालू इंस्टेंस";
    Queue => "Queue", "कतार";
    BusyWorkers => "Busy workers", "व्यस्त वर्कर";
    P99 => "p99 latency", "p99 विलंब";
    Faults => "Break it", "तोड़कर देखें";
    FaultsHint => "Faults apply to the selected service and are recorded, so the run stays reproducible.", "खराबियाँ चुनी गई सेवा पर लगती हैं और दर्ज होती हैं, ताकि रन दोहराया जा सके।";
    Crash => "Crash an instance", "एक इंस्टेंस गिराएँ";
    Slow => "Slow it ×5", "×5 धीमा करें";
    MakeFail => "Make it fail 50%", "50% विफल करें";
    Heal => "Heal everything", "सब ठीक करें";
    NothingToCrash => "Every instance of this service is already down.", "इस सेवा के सभी इंस्टेंस पहले से बंद हैं।";
    ActiveFaults => "Active faults", "सक्रिय खराबियाँ";
    Request => "Request", "अनुरोध";
    RequestHint => "Click a moving dot (or press J) to follow a request.", "किसी चलते बिंदु पर क्लिक करें (या J दबाएँ) ताकि अनुरोध का पीछा कर सकें।";
    RequestGone => "This request is no longer in the recent history.", "यह अनुरोध अब हाल के इतिहास में नहीं है।";
    Editor => "Scenario editor", "परिदृश्य संपादक";
    EditorShort => "Edit", "संपादन";
    EditorHint => "Edit the TOML, load a file, or drop one here. It is checked as you apply it.", "TOML बदलें, फ़ाइल लोड करें या यहाँ छोड़ें। लागू करते समय इसकी जाँच होती है।";
    LoadFile => "Load a file", "फ़ाइल लोड करें";
    ApplyScenario => "Check and run", "जाँचें और चलाएँ";
    Problems => "Problems", "समस्याएँ";
    ProblemsCount => "{0} problem(s) in this scenario; nothing was replaced.", "इस परिदृश्य में {0} समस्या(एँ); कुछ भी बदला नहीं गया।";
    ProblemAt => "line {0}, column {1}", "पंक्ति {0}, स्तंभ {1}";
    JumpToLine => "Go to this line in the text", "पाठ में इस पंक्ति पर जाएँ";
    ScenarioLoaded => "Scenario loaded (your seed is kept).", "परिदृश्य लोड हुआ (आपका सीड वही रहा)।";
    ScenarioLoadedWithSeed => "Scenario loaded with the seed its file sets: {0}.", "परिदृश्य अपनी फ़ाइल के सीड {0} के साथ लोड हुआ।";
    DropHere => "Drop a .toml file to load it", "लोड करने के लिए .toml फ़ाइल यहाँ छोड़ें";
    FileUnreadable => "That file could not be read as text.", "वह फ़ाइल टेक्स्ट के रूप में पढ़ी नहीं जा सकी।";
    FileTooLong => "That file is {0} KB; a scenario may be at most {1} KB.", "वह फ़ाइल {0} KB की है; परिदृश्य अधिकतम {1} KB का हो सकता है।";
    NoticeBadParam => "URL parameter {0}={1} was ignored: {2}", "URL पैरामीटर {0}={1} को अनदेखा किया गया: {2}";
    NoticeStoredCorrupt => "Saved settings could not be read and were set aside; defaults are in use.", "सहेजी गई सेटिंग पढ़ी नहीं जा सकीं और अलग रख दी गईं; डिफ़ॉल्ट उपयोग में हैं।";
    NoticeStoredScenarioInvalid => "Your saved scenario no longer validates; it was set aside and a built-in one loaded.", "आपका सहेजा परिदृश्य अब मान्य नहीं है; उसे अलग रखकर एक बिल्ट-इन परिदृश्य लोड किया गया।";
    Dismiss => "Dismiss", "हटाएँ";
    Notices => "Notices", "सूचनाएँ";
    FatalTitle => "Something went wrong", "कुछ गड़बड़ हो गई";
    FatalBody => "Lokal hit an internal error and stopped. Your saved scenario is safe.", "लोकल में आंतरिक त्रुटि आई और वह रुक गया। आपका सहेजा परिदृश्य सुरक्षित है।";
    FatalReload => "Reload with the last good scenario", "अंतिम सही परिदृश्य के साथ फिर से लोड करें";
    ShortcutPlay => "Play or pause", "चलाएँ या रोकें";
    ShortcutStep => "Step to the next event", "अगली घटना तक बढ़ें";
    ShortcutFaster => "Faster", "तेज़";
    ShortcutSlower => "Slower", "धीमा";
    ShortcutRestart => "Restart the run", "रन फिर से शुरू करें";
    ShortcutReseed => "New random seed", "नया यादृच्छिक सीड";
    ShortcutSeed => "Type a seed", "सीड लिखें";
    ShortcutScenario => "Next scenario", "अगला परिदृश्य";
    ShortcutCrash => "Crash an instance of the selected service", "चुनी गई सेवा का एक इंस्टेंस गिराएँ";
    ShortcutSlow => "Slow the selected service", "चुनी गई सेवा धीमी करें";
    ShortcutFail => "Make the selected service fail", "चुनी गई सेवा को विफल करें";
    ShortcutHeal => "Heal everything", "सब ठीक करें";
    ShortcutNextStation => "Select the next station", "अगला स्टेशन चुनें";
    ShortcutRequest => "Follow a moving request", "एक चलते अनुरोध का पीछा करें";
    ShortcutLang => "Switch language", "भाषा बदलें";
    ShortcutEditor => "Open or close the scenario editor", "परिदृश्य संपादक खोलें या बंद करें";
    ShortcutHelp => "Show or hide this help", "यह मदद दिखाएँ या छिपाएँ";
    ShortcutEscape => "Close panels, clear selection", "पैनल बंद करें, चयन हटाएँ";
    KeyColumn => "Key", "कुंजी";
    ActionColumn => "Action", "क्रिया";
    FlowLabel => "{0}/s", "{0}/से";
    Up => "up", "चालू";
    Down => "down", "बंद";
    Slowed => "slowed ×{0}", "×{0} धीमा";
    Failing => "failing {0}%", "{0}% विफल";
    StatusOk => "success", "सफल";
    StatusError => "error", "त्रुटि";
    StatusRejected => "rejected", "अस्वीकृत";
    StatusUnavailable => "unavailable", "उपलब्ध नहीं";
    StatusReset => "reset by a crash", "क्रैश से टूटा";
    StatusTimeout => "timeout", "समय समाप्त";
    StatusDownstream => "failed downstream", "आगे विफल";
    StatusNetwork => "lost in the network", "नेटवर्क में खोया";
    StatusShortCircuited => "short-circuited (breaker open)", "शॉर्ट-सर्किट (ब्रेकर खुला)";
    StatusBulkheadFull => "bulkhead full", "बल्कहेड भरा";
    StatusRateLimited => "rate limited (429)", "दर सीमित (429)";
    Outcome => "Outcome", "परिणाम";
    Pending => "still on its way", "अभी रास्ते में";
    Dependencies => "Dependencies", "निर्भरताएँ";
    DependenciesHint => "Calls this service makes, counted like the Hystrix dashboard: the circle grows with the request rate and turns from green to red with the error rate.", "यह सेवा जो कॉल करती है, हिस्ट्रिक्स डैशबोर्ड की तरह गिनी गईं: गोला अनुरोध दर के साथ बढ़ता है और त्रुटि दर के साथ हरे से लाल होता है।";
    NoDependencies => "This service calls no other service.", "यह सेवा किसी दूसरी सेवा को नहीं बुलाती।";
    NoCircuits => "No service calls another in this scenario.", "इस परिदृश्य में कोई सेवा दूसरी सेवा को नहीं बुलाती।";
    AllCircuits => "Every circuit", "सभी सर्किट";
    AllCircuitsHint => "Every call from one service to another, counted like the Hystrix dashboard: the circle grows with the request rate and turns from green to red with the error rate; counters cover the last 10 s.", "एक सेवा से दूसरी की हर कॉल, हिस्ट्रिक्स डैशबोर्ड की तरह गिनी गई: गोला अनुरोध दर के साथ बढ़ता है और त्रुटि दर के साथ हरे से लाल होता है; गिनती पिछले 10 से की है।";
    CircuitScope => "Which circuits", "कौन-से सर्किट";
    CircuitsThisService => "This service", "यह सेवा";
    CircuitsAll => "All circuits ({0})", "सभी सर्किट ({0})";
    Last10s => "last 10 s", "पिछले 10 से";
    CountSuccess => "success", "सफल";
    CountShortCircuited => "short-circuited", "शॉर्ट-सर्किट";
    CountBulkhead => "bulkhead full", "बल्कहेड भरा";
    CountRateLimited => "rate limited", "दर सीमित";
    CountTimeout => "timeouts", "टाइमआउट";
    CountFailure => "failures", "विफलताएँ";
    CountFallback => "fallbacks", "फ़ॉलबैक";
    CountRetries => "retries", "रीट्राई";
    Sparkline => "Calls per second, last two minutes", "प्रति सेकंड कॉल, पिछले दो मिनट";
    BreakerClosed => "closed", "बंद (चालू)";
    BreakerOpen => "open", "खुला";
    BreakerHalfOpen => "half-open", "आधा खुला";
    BreakerDisabled => "disabled", "अक्षम";
    BreakerForcedOpen => "forced open", "ज़बरन खुला";
    BreakerMetricsOnly => "metrics only", "केवल मीट्रिक";
    CircuitBreaker => "Circuit breaker", "सर्किट ब्रेकर";
    BulkheadGauge => "bulkhead", "बल्कहेड";
    LimiterGauge => "rate limit", "दर सीमा";
    ServerLimit => "429 limit", "429 सीमा";
    Knobs => "Protections (live)", "सुरक्षा (लाइव)";
    KnobsShort => "Tune", "बदलें";
    KnobsHint => "Each change is a recorded command: the run stays reproducible.", "हर बदलाव दर्ज आदेश है: रन दोहराया जा सकता है।";
    KnobTimeout => "Timeout per attempt (ms)", "हर प्रयास का टाइमआउट (मि.से.)";
    KnobAttempts => "Attempts (1 = no retry)", "प्रयास (1 = रीट्राई नहीं)";
    KnobBreaker => "Circuit breaker on", "सर्किट ब्रेकर चालू";
    KnobFailureRate => "Opens at failure rate (%)", "इस विफलता दर पर खुले (%)";
    KnobMinimumCalls => "Minimum calls", "न्यूनतम कॉल";
    KnobWaitInOpen => "Wait in open (ms)", "खुले रहने का समय (मि.से.)";
    KnobBreakerState => "Force state", "स्थिति थोपें";
    KnobBulkhead => "Bulkhead: max concurrent", "बल्कहेड: अधिकतम समानांतर";
    KnobRateLimit => "Rate limit per second", "प्रति सेकंड दर सीमा";
    KnobFallback => "Fallback", "फ़ॉलबैक";
    KnobOff => "off", "बंद";
    FallbackStatic => "static answer", "स्थिर उत्तर";
    FallbackCached => "last good answer", "पिछला सही उत्तर";
    Compare => "Compare", "तुलना";
    CompareTitle => "Same seed, protections off and on", "वही सीड, सुरक्षा बंद और चालू";
    CompareHint => "Both runs use this scenario and seed; one has every timeout, retry, breaker, bulkhead, limiter and fallback removed.", "दोनों रन यही परिदृश्य और सीड लेते हैं; एक से हर टाइमआउट, रीट्राई, ब्रेकर, बल्कहेड, लिमिटर और फ़ॉलबैक हटा दिया गया है।";
    CompareOff => "Protections off", "सुरक्षा बंद";
    CompareOn => "Protections on", "सुरक्षा चालू";
    CompareRunning => "Running both…", "दोनों चल रहे हैं…";
    CompareNothing => "This scenario has no protections to switch off.", "इस परिदृश्य में बंद करने को कोई सुरक्षा नहीं है।";
    CompareErrors => "Requests that failed, were rejected or timed out", "विफल, अस्वीकृत या समय-समाप्त अनुरोध";
    CompareP99 => "p99 latency of successful requests", "सफल अनुरोधों का p99 विलंब";
    CompareDegraded => "Answered with a fallback", "फ़ॉलबैक से उत्तर";
    CompareDifference => "Difference", "अंतर";
    ChartBreaker => "Breaker state: {0}", "ब्रेकर स्थिति: {0}";
    LegendRetry => "retry (a repeated trip)", "रीट्राई (दोहराई यात्रा)";
    LegendShortCircuited => "not sent: breaker open or bulkhead full", "नहीं भेजा: ब्रेकर खुला या बल्कहेड भरा";
    ShortcutCompare => "Compare protections off and on", "सुरक्षा बंद और चालू की तुलना";
    BadgeTimeout => "timeout {0}", "टाइमआउट {0}";
    BadgeRetry => "up to {0} attempts", "अधिकतम {0} प्रयास";
    BadgeFallback => "fallback", "फ़ॉलबैक";
    CommandsRecorded => "{0} command(s) recorded.", "{0} आदेश दर्ज।";
    DownloadCommands => "Download the command log", "आदेश लॉग डाउनलोड करें";
    Traces => "Traces", "ट्रेस";
    TracesHint => "Each request's spans, as Jaeger shows them. Click a moving dot to open its trace; pick a trace to light its path on the map.", "हर अनुरोध के स्पैन, जैसे जेगर दिखाता है। किसी चलते बिंदु पर क्लिक करके उसका ट्रेस खोलें; कोई ट्रेस चुनकर नक्शे पर उसका रास्ता देखें।";
    TracesStore => "{0} kept of {1} recorded · {2} in flight · head sampling {3}%", "{1} दर्ज में से {0} रखे · {2} रास्ते में · हेड सैंपलिंग {3}%";
    TracesClose => "Close traces", "ट्रेस बंद करें";
    FilterEndpoint => "Endpoint", "एंडपॉइंट";
    FilterAny => "any", "कोई भी";
    FilterStatus => "Status", "स्थिति";
    FilterAll => "all", "सभी";
    FilterOk => "no errors", "बिना त्रुटि";
    FilterErrors => "with errors", "त्रुटि वाले";
    FilterMinMs => "At least (ms)", "कम से कम (मि.से.)";
    FilterMaxMs => "At most (ms)", "अधिक से अधिक (मि.से.)";
    FilterBadNumber => "\"{0}\" is not a number of milliseconds", "\"{0}\" मिलीसेकंड की संख्या नहीं है";
    TracesShown => "{0} of {1} shown, newest first", "{1} में से {0} दिखाए, नए पहले";
    TracesNone => "No trace matches yet.", "अभी कोई ट्रेस मेल नहीं खाता।";
    NewTraces => "{0} new — show them", "{0} नए — दिखाएँ";
    MoreTraces => "Show {0} older", "{0} और पुराने दिखाएँ";
    NoOlderTraces => "No older traces kept", "इससे पुराने ट्रेस रखे नहीं गए";
    TraceInnerErrors => "errors inside", "भीतर त्रुटियाँ";
    TraceListLabel => "Trace list", "ट्रेस सूची";
    DownloadAllJaeger => "All as Jaeger JSON", "सभी जेगर JSON में";
    DownloadAllOtlp => "All as OTLP/JSON", "सभी OTLP/JSON में";
    DownloadJaeger => "Jaeger JSON", "जेगर JSON";
    DownloadOtlp => "OTLP/JSON", "OTLP/JSON में";
    DownloadThis => "Download this trace:", "यह ट्रेस डाउनलोड करें:";
    DownloadAll => "Download every kept trace:", "सभी रखे ट्रेस डाउनलोड करें:";
    TraceTitle => "Trace {0}", "ट्रेस {0}";
    TraceDuration => "Duration", "अवधि";
    TraceServices => "Services", "सेवाएँ";
    TraceDepth => "Depth", "गहराई";
    TraceSpanCount => "Spans", "स्पैन";
    SpansCount => "{0} spans", "{0} स्पैन";
    TraceInFlight => "still in flight: open spans grow live", "अभी रास्ते में: खुले स्पैन लाइव बढ़ते हैं";
    TraceKept => "kept by the tail policy: {0}", "टेल नीति ने रखा: {0}";
    KeepError => "an error", "त्रुटि";
    KeepSlow => "slow", "धीमा";
    KeepRatio => "sampled share", "नमूना हिस्सा";
    TraceNotSampled => "Request #{0} was not sampled (head sampling {1}%), so it has no trace.", "अनुरोध #{0} का नमूना नहीं लिया गया (हेड सैंपलिंग {1}%), इसलिए इसका ट्रेस नहीं है।";
    TraceGone => "The trace of request #{0} is no longer kept: the store holds the {1} most recent traces and up to {2} chosen by the tail policy.", "अनुरोध #{0} का ट्रेस अब नहीं रखा है: भंडार {1} सबसे नए ट्रेस और टेल नीति के चुने {2} तक रखता है।";
    TracePick => "Pick a trace from the list, or click a moving dot on the map.", "सूची से कोई ट्रेस चुनें, या नक्शे पर किसी चलते बिंदु पर क्लिक करें।";
    CriticalPath => "Show the critical path", "क्रिटिकल पाथ दिखाएँ";
    CriticalPathHint => "The dark line: the chain of work that decided how long the request took.", "गहरी रेखा: काम की वह कड़ी जिसने तय किया कि अनुरोध में कितना समय लगा।";
    Waterfall => "Span waterfall", "स्पैन वॉटरफ़ॉल";
    SpanClient => "client", "क्लाइंट";
    SpanServer => "server", "सर्वर";
    SpanSaga => "saga", "सागा";
    SpanOpen => "running", "चल रहा";
    SpanErrorMark => "error", "त्रुटि";
    SpanOutlived => "outlived its caller", "अपने कॉलर से अधिक चला";
    SpanQueued => "queued {0} ms", "{0} मि.से. कतार में";
    SpanDetails => "Span details", "स्पैन विवरण";
    SpanKindLabel => "Kind", "प्रकार";
    SpanStart => "Starts at", "शुरुआत";
    SpanInstance => "Instance", "इंस्टेंस";
    SpanTraceparent => "traceparent header", "traceparent हेडर";
    SpanAttributes => "Attributes", "एट्रिब्यूट";
    SpanEvents => "Events", "घटनाएँ";
    SpanNoEvents => "No events.", "कोई घटना नहीं।";
    ClientName => "client", "क्लाइंट";
    EventRetry => "retry: attempt {0} after {1} ms", "रीट्राई: {1} मि.से. बाद प्रयास {0}";
    EventTimeout => "timeout: the caller stopped waiting", "टाइमआउट: कॉलर ने इंतज़ार छोड़ा";
    EventFault => "fault: {0}", "खराबी: {0}";
    EventNotPermitted => "call not made ({0}): {1}", "कॉल नहीं की गई ({0}): {1}";
    EventFallback => "fallback answered for {0}", "{0} के लिए फ़ॉलबैक ने उत्तर दिया";
    EventSagaStep => "step {0} begins (attempt {1})", "कदम {0} शुरू (प्रयास {1})";
    EventCompensation => "compensating {0} (attempt {1})", "{0} की क्षतिपूर्ति (प्रयास {1})";
    EventLock => "saw the semantic lock {0}", "सिमेंटिक लॉक {0} देखा";
    OpenTrace => "Open its trace", "इसका ट्रेस खोलें";
    RequestPathInTrace => "Its path, call by call, with timings: the trace panel below the map.", "इसका रास्ता, हर कॉल और उसके समय के साथ: नक्शे के नीचे ट्रेस पैनल में।";
    Sagas => "Sagas", "सागा";
    NamesHidden => "Stations shortened at this size: {0} — zoom in (+) to see their names, services and instances.", "इस आकार पर छोटे किए गए स्टेशन: {0} — उनके नाम, सेवाएँ और इंस्टेंस देखने के लिए ज़ूम करें (+)।";
    MoreControls => "More", "और";
    Circuits => "Circuits", "सर्किट";
    SidePanels => "Panels", "पैनल";
    SagaHint => "One row per step: the action, then (if a step up to the pivot fails) the compensations in reverse order, in brown dashes.", "हर कदम की एक पंक्ति: कार्रवाई, फिर (अगर पिवट तक कोई कदम विफल हो) उल्टे क्रम में क्षतिपूर्तियाँ, भूरी रेखाओं में।";
    SagaCounts => "{0} started · {1} completed · {2} compensated · {3} running", "{0} शुरू · {1} पूरे · {2} क्षतिपूर्त · {3} चल रहे";
    SagaMore => "{0} compensations run · {1} retries · {2} locks seen", "{0} क्षतिपूर्तियाँ · {1} रीट्राई · {2} लॉक देखे गए";
    SagaNone => "No saga has started yet. Press play.", "अभी कोई सागा शुरू नहीं हुआ। चलाएँ दबाएँ।";
    SagaRunTitle => "Saga #{0} · request #{1}", "सागा #{0} · अनुरोध #{1}";
    SagaCompleted => "completed", "पूरा";
    SagaCompensated => "compensated", "क्षतिपूर्त";
    SagaRunning => "running", "चल रहा";
    SagaCompensating => "compensating", "क्षतिपूर्ति जारी";
    SagaLock => "record locked: {0}", "रिकॉर्ड लॉक: {0}";
    SagaPivot => "pivot", "पिवट";
    SagaAction => "action", "कार्रवाई";
    SagaUndo => "compensation", "क्षतिपूर्ति";
    SagaAttempts => "{0} attempts", "{0} प्रयास";
    SagaMode => "Mode: {0}", "तरीका: {0}";
    SagaOrchestration => "orchestration (one orchestrator sends every command)", "ऑर्केस्ट्रेशन (एक संचालक हर आदेश भेजता है)";
    SagaChoreography => "choreography (each participant triggers the next)", "कोरियोग्राफ़ी (हर भागीदार अगले को शुरू करता है)";
    LegendCompensation => "saga compensation: undoing a step (brown dashes)", "सागा क्षतिपूर्ति: कदम को उलटना (भूरी रेखाएँ)";
    LegendTracePath => "path of the selected trace", "चुने गए ट्रेस का रास्ता";
    ShortcutTraces => "Show or hide traces", "ट्रेस दिखाएँ या छिपाएँ";
    Fold => "Fold this span's sub-tree", "इस स्पैन का उप-वृक्ष समेटें";
    Unfold => "Unfold this span's sub-tree", "इस स्पैन का उप-वृक्ष खोलें";
    SpansFolded => "+{0} folded", "+{0} समेटे";
    MinimapLabel => "Minimap: every span of the trace on its time axis", "मिनीमैप: ट्रेस का हर स्पैन अपनी समय-धुरी पर";
    MinimapHint => "Drag across the minimap to zoom in on part of the trace.", "ट्रेस के किसी हिस्से को बड़ा देखने के लिए मिनीमैप पर खींचें।";
    ZoomToSpan => "Zoom to the selected span", "चुने स्पैन पर ज़ूम करें";
    WholeTrace => "Whole trace", "पूरा ट्रेस";
    ScatterTitle => "Duration of each kept trace over time — click a point to open its trace", "समय के साथ हर रखे गए ट्रेस की अवधि — ट्रेस खोलने के लिए बिंदु पर क्लिक करें";
    ScatterSummary => "{0} kept traces, {1} of them with errors (squares); the longest under {2} ms", "{0} रखे गए ट्रेस, उनमें से {1} त्रुटि वाले (वर्ग); सबसे लंबा {2} मि.से. से कम";
    ScatterAxes => "start (virtual time) → · ↑ duration (ms)", "शुरुआत (आभासी समय) → · ↑ अवधि (मि.से.)";
    ShortcutCircuits => "Show every circuit (Hystrix grid)", "सभी सर्किट दिखाएँ (हिस्ट्रिक्स ग्रिड)";
    ShortcutSagas => "Show the sagas", "सागा दिखाएँ";
    ShortcutCharts => "Show the charts", "चार्ट दिखाएँ";
    About => "Same scenario + same seed + same actions = the same run, every time.", "वही परिदृश्य + वही सीड + वही क्रियाएँ = हर बार वही रन।";
}

/// The message in `lang`.
pub fn tr(lang: Lang, msg: Msg) -> &'static str {
    match lang {
        Lang::En => msg.en(),
        Lang::Hi => msg.hi(),
    }
}

/// The message in `lang` with `{0}`, `{1}`, … replaced by `args`.
pub fn fill(lang: Lang, msg: Msg, args: &[&str]) -> String {
    let mut text = tr(lang, msg).to_string();
    for (index, arg) in args.iter().enumerate() {
        text = text.replace(&format!("{{{index}}}"), arg);
    }
    text
}

/// A count with Indian digit grouping (lakh, crore): 12,34,567.
pub fn group_indian(value: u64) -> String {
    let digits = value.to_string();
    if digits.len() <= 3 {
        return digits;
    }
    let (head, last3) = digits.split_at(digits.len() - 3);
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = head;
    while rest.len() > 2 {
        let (left, right) = rest.split_at(rest.len() - 2);
        groups.push(right);
        rest = left;
    }
    if !rest.is_empty() {
        groups.push(rest);
    }
    groups.reverse();
    format!("{},{last3}", groups.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_english_and_devanagari_hindi() {
        for &msg in Msg::ALL {
            assert!(!msg.en().trim().is_empty(), "{msg:?} has no English");
            assert!(!msg.hi().trim().is_empty(), "{msg:?} has no Hindi");
            let symbols_only = msg.en().chars().all(|c| !c.is_alphabetic());
            let devanagari = msg
                .hi()
                .chars()
                .any(|c| ('\u{0900}'..='\u{097F}').contains(&c));
            assert!(
                symbols_only || devanagari || msg == Msg::Language,
                "{msg:?}: Hindi text {:?} has no Devanagari",
                msg.hi()
            );
        }
    }

    #[test]
    fn placeholders_match_between_languages() {
        for &msg in Msg::ALL {
            for index in 0..5 {
                let placeholder = format!("{{{index}}}");
                assert_eq!(
                    msg.en().contains(&placeholder),
                    msg.hi().contains(&placeholder),
                    "{msg:?}: {placeholder} in one language only"
                );
            }
        }
    }

    #[test]
    fn fill_replaces_placeholders() {
        assert_eq!(fill(Lang::En, Msg::FlowLabel, &["12"]), "12/s");
        assert_eq!(fill(Lang::Hi, Msg::FlowLabel, &["12"]), "12/से");
    }

    #[test]
    fn indian_grouping() {
        assert_eq!(group_indian(0), "0");
        assert_eq!(group_indian(999), "999");
        assert_eq!(group_indian(1_000), "1,000");
        assert_eq!(group_indian(100_000), "1,00,000");
        assert_eq!(group_indian(12_345_678), "1,23,45,678");
    }
}
