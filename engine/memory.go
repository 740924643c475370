package engine

// Pooled memory: who owns what. This is the one statement of the rules;
// the code it names refers here.
//
// A translation borrows a translation value from the translations pool for
// the length of one Translate, TranslateInto or Explain call, and
// gives it back when the call returns (translation.release). It holds three
// buffers that the next translation to borrow it writes over:
//
//   - in, the copy of the caller's input. The decoded event's strings are
//     views into it (unsafe.String in translation.input), valid until the
//     translation ends. The caller's own bytes are never kept.
//   - env's text buffer, where the native evaluator (engine/internal/native)
//     writes the strings it builds, dates and concatenations, one after
//     another (lang.Env.Concat, lang.Env.AppendTime). They are views into it
//     too, valid until lang.Env.ResetText at release. The buffer is only
//     appended to before then, so a view keeps its value even when an
//     append moves the buffer.
//   - the renderer's buffer, where URLs, queries and bodies are written.
//
// So nothing a translation returns may point into them. What leaves is
// copied where it leaves: the event id and every call's URL and body are
// copied out of the renderer's buffer in one allocation (renderer.publish,
// callText.copyOut), which nothing writes to afterwards (the strings are
// views into it, each body's capacity ends with it, so an append by the
// caller gets a new array); the event's id and type, header values, guard
// messages and the values named in errors are cloned (cloneTwo,
// strings.Clone). A trace keeps event
// values past the translation, so Explain decodes from a new string and
// sets lang.Env.OwnText, which gives every built string memory of its own.
//
// TranslateInto reuses only what its caller hands back, res and the array
// of res.Calls; the text of the new calls is always a new allocation, so
// strings and Call values taken from an earlier result keep their values.
//
// Buffers larger than maxPooledInput (the input copy and the renderer's
// buffer) and than lang's maxText (the text buffer) are dropped at release
// rather than pooled, so one large event does not pin its memory.
//
// expr's VMs are pooled too (lang's vms); a VM keeps nothing of a run that
// its result points to.
//
// Tests enforce the rules: with poisonInput set (every test of this
// package, see TestMain) release overwrites all three buffers with '#', so
// a result still pointing into one reads garbage; TestResultsOwnTheirStrings,
// TestBuiltTextOwnedByResults, TestResultPartsAreIndependent and
// TestTranslateIntoAgreesWithTranslate check it on many events.
