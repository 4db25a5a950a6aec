"""What the report's prose says about the gauge and the process decisions, and about the flagged subgroups.

A report could state the right decision lines and then say the opposite in a sentence ("In practice the gauge is
accepted for production use as it stands"), or call the excluded subgroups false alarms. `contradictions` reads every
clause that takes a stance on the gauge (measurement system) or the process and returns those that do not agree with the
decisions, and every sentence that dismisses the control chart signals. A verdict required of the gauge ("it must be
rejected") is a stance, a requirement that leads to one ("must be recalibrated before it can be accepted") is not, and
so is a bare pass or fail ("The gauge fails.", "The gauge should pass."), a forecast or a "would" with nothing to wait
for or supposed, however hedged and whoever gives it ("is bound to fail", "Any auditor would reject the gauge.", "The
customer would accept the gauge.", "The gauge would most probably be accepted."), a verdict doubted ("It is unlikely
that the gauge will be accepted" takes the stance "not accepted") and "it" standing for the gauge ("The gauge was
studied. It is scrapped."; not "The gauge was used to sort the lot; it was scrapped.", nor "The parts measured by the
gauge were rejected.", the product's verdict); an aside between the gauge and its verdict is read as what follows the
verdict ("The gauge is, with conditions, accepted"; "The gauge would, in that case, be rejected" takes no stance). A use
restricted to monitoring the process ("usable for SPC") is the conditional acceptance a %GRR of 10-30 % allows. A judge
named or indefinite ("GM would accept the gauge.", "A customer would reject the gauge.") gives a hedged verdict, as "It is
likely that the gauge would be accepted." does; a verdict given by a phrasal verb or as a noun ("would sign the gauge off",
"would OK the gauge", "The gauge gets a pass.") is one; a past verdict with an earlier time in its clause or opening its
sentence ("The customer rejected the gauge in last year's PPAP.", "In last year's PPAP, the customer rejected the
gauge.") is history, not a stance. The gauge as the object of what qualifies the product ("Parts that fail the gauge are
scrapped.") takes no verdict, and an outcome expected of a test ("The gauge should fail the study.") is one, as "The
gauge should fail." is, where a test required ("The gauge must pass the MSA.") is not.
"""
# ALE-CANARY-8e818c42-c0ac-42d0-84b5-dc7ae9a63213

from __future__ import annotations

import re

# the subject a stance is about: the nearest of these words before it in the clause (a word such as "resolution"
# or "drawing" takes the stance itself: "the gauge's resolution is adequate" says nothing of the gauge's R&R)
_GAUGE = r"gauges?|gages?|fixtures?|micrometers?|indicators?|instruments?|measur\w*\s+(?:system|equipment|device)"
_PROCESS = r"process(?:es)?"
_SUBJECTS = {
    "other": rf"(?:new|replacement|another|different|alternative|better|second|other|previous|former|old|older|earlier"
             rf"|prior|legacy|retired|obsolete|outgoing|superseded)\s+(?:{_GAUGE})",
    "gauge": rf"{_GAUGE}|msa|r\s*&\s*r|grr",
    "process": rf"{_PROCESS}|capability|cpk|ppk|production|manufacturing",
    "unrelated": r"resolution|discrimination|calibration|readings?|export|software|drawing|data|sample|limits?|tolerance"
             r"|re-?tests?|trials?|appraisers?|operators?",
}
_SUBJECT = re.compile("|".join(rf"\b(?P<{name}>{words})\b" for name, words in _SUBJECTS.items()), re.IGNORECASE)

# the subject just after a stance verb or noun ("we accept the gauge", "no rejection of the MSA"), or just after a
# verb in the past ("the customer accepted the gauge"; not a participle: "released for production", "the lots
# released with the gauge")
_VERB = re.compile(r"(?:accept|approve|reject|release)(?:s|ing)?|(?P<past>accepted|approved|rejected|released)|rejection"
                   r"|nothing\s+(?:prevents|stops|precludes|prohibits|bars|blocks)", re.IGNORECASE)
_OBJECT = re.compile(rf"(?:\W+\w+){{0,4}}?\W+(?:{_SUBJECT.pattern})", re.IGNORECASE)
_DIRECT_OBJECT = re.compile(rf"\s+(?:the|this|that|our|its)\s+(?:[\w&-]+\s+){{0,2}}?(?:{_SUBJECT.pattern})",
                            re.IGNORECASE)

# reject words also said of parts, lots and readings ("the parts of subgroup 14 were scrapped"): a stance only as the
# predicate of the gauge or the process named just before them (_PREDICATE_OF)
_PREDICATE_ONLY_REJECT = r"scrap(?:ped|s)?|deficient(?!\s+in\b)|unusable|useless|worthless|no\s+good|good\s+for\s+nothing"

# a verdict got as a noun ("the gauge gets a pass", "the process was given the green light")
_GETS = (r"(?:gets?|got|gotten|getting|receives?|received|earns?|earned|deserves?|deserved|given|granted)\s+(?:a|an|the|its)"
         r"\s+")
# stance words: accept-like, reject-like, conditional, and "capable" (agrees with an accept or a conditional)
_STANCES = {
    "accept": r"(?:(?:accept|approv|releas|us)(?:ed|able)\s+)?(?:without|with\s+no)\s+(?:any\s+)?(?:restrictions?|conditions?"
              r"|reservations?|limitations?|caveats?)|unrestricted(?:ly)?"
              r"|accept(?:ed|s|able|ing)?|approv(?:ed|es?|ing)|releas(?:ed|es?|ing)|adequate|suitable|fit\s+for|usable"
              r"|good\s+enough|fine|ok(?:ay)?|cleared\s+for|signed\s+off|(?:may|can)\s+(?:proceed|go\s+ahead)"
              r"|(?:continues?|continued)\s+to\s+(?:be\s+)?use|remains?\s+in\s+(?:use|service)|good\s+to\s+go"
              r"|nothing\s+(?:prevents|stops|precludes|prohibits|bars|blocks)|ready\s+(?:for|to\s+be)\s+(?:\w+\s+)?(?:use"
              r"|used|production|release|released|service)"
              r"|qualified|satisfactory|unconditional(?:ly)?|pass(?:es|ed)?\s+(?:the\s+)?(?:customer|criteria|requirement)"
              r"|(?:meets?|met|satisf(?:y|ies|ied))\s+(?:all\s+)?(?:the\s+)?(?:customer|criteria|criterion|requirement)"
              r"|criteria\s+(?:are|were|is)\s+(?:all\s+)?(?:met|satisfied)|(?:be|is|are)\s+used\s+(?:for|in|as)"
              rf"|{_GETS}(?:pass(?:ing\s+(?:grade|mark))?(?!\s*/)|green\s+light|go-?ahead|thumbs[\s-]up|nod|seal\s+of\s+approval)",
    "reject": r"reject(?:ed|s|ion|ing)?|unacceptable|inadequate|unsuitable|unfit|incapable|disqualified|unsatisfactory"
              rf"|fail(?:s|ed)?\s+(?:the\s+)?(?:customer|criteria|requirement|acceptance)|{_PREDICATE_ONLY_REJECT}"
              rf"|{_GETS}(?:fail(?:ing\s+(?:grade|mark))?|red\s+light|thumbs[\s-]down)",
    "conditional": r"conditional(?:ly)?|provisional(?:ly)?|marginal(?:ly)?",
    "capable": r"capable",
}
_STANCE = re.compile("|".join(rf"(?<!re-)\b(?P<{name}>{words})\b" for name, words in _STANCES.items()), re.IGNORECASE)
_NEGATION = re.compile(r"(?:\b(?:not(?!\s+(?:only|just|merely|simply)\b)|no(?!\s+(?:doubt|question)\b)|never|nobody|cannot|neither|nor"
                       r"|without(?!\s+(?:a\s+|any\s+)?(?:doubt|question)\b)|no\s+longer|far\s+from|rather\s+than|instead\s+of)\b"
                       r"|n't|^\W*(?:even|let\s+alone))"
                       r"(?:\W+\w+){0,3}?\W*$", re.IGNORECASE)
# a stance doubted ("It is unlikely that the gauge will be accepted as is.", "I doubt the process is capable."; not
# "It is not unlikely that ...", "There is little doubt that ...")
_DOUBTED = re.compile(r"(?<!not\s)\b(?:unlikely|doubtful|improbable|(?:I|we)\s+(?:\w+ly\s+)?doubt)\b(?:\W+\w+){0,6}?\W*$",
                      re.IGNORECASE)
# a stance that is required, planned or supposed ("must be re-qualified", "until it is fully accepted", "would be
# accepted if ..."), not taken
_UNTAKEN = re.compile(r"\b(?:must|should|shall|needs?\s+to|has\s+to|have\s+to|to\s+be|would|until|before|once"
                      r"|after|unless|pending|if|when|whether)\W+(?:\w+\W+){0,3}?(?:\w+ly\W+)?$", re.IGNORECASE)
# ... except a directive on the verdict itself ("the gauge must be rejected", "we should accept the process", "is
# to be released"), a judgement ("must be considered unacceptable", "is deemed to be adequate") or a conditional
# verdict ("must be accepted conditionally"): those take the stance unless a condition follows ("must not be
# released until the PPAP is signed", "must be approved by the customer")
_DIRECTIVE = re.compile(r"\b(?:must|should|shall|needs?\s+to|has\s+to|have\s+to|(?:is|are|going)\s+to|(?P<judged_to>considered|deemed|judged|found|shown|declared|proven"
                        r"|proved|held|thought|believed)\s+to)"
                        r"\W+(?:(?:be|been|now|therefore|thus|hence|then|also|still|not|accepted|approved|released|used)\W+"
                        r"|\w+ly\W+|(?P<judged>considered|deemed|declared|judged|regarded\s+as|treated\s+as|classed\s+as"
                        r"|classified\s+as|rated(?:\s+as)?|marked(?:\s+as)?|recorded\s+as)\W+)*$", re.IGNORECASE)
_VERDICT = re.compile(r"(?:(?:accept|approve|release|reject)(?:s|d|ed)?|scrap(?:s|ped)?)(?!\w)", re.IGNORECASE)
# ("the gauge is scrapped", "RF-07 is deficient"), not of one named after a preposition ("the parts from the process
# were scrapped")
_PREDICATE_ONLY = re.compile(_PREDICATE_ONLY_REJECT, re.IGNORECASE)
_AUXILIARIES = (r"(?:\s+(?:is|are|was|were|be|been|being|has|have|had|not|now|therefore|thus|hence|also|still|then|will"
                r"|would|must|should|shall|to|considered|deemed|declared|judged|found|rated|\w+ly))*\s+$")
_PREDICATE_OF = re.compile(rf"\b(?:{_GAUGE}|msa|{_PROCESS}){_AUXILIARIES}", re.IGNORECASE)
# the product, accepted, rejected and scrapped as the gauge is: a verdict whose subject it is ("the parts were
# rejected") takes no stance on the gauge, and an "it" after it stands for it when it is the object of a verb ("The
# gauge was used to sort the lot; it was scrapped."; not "The gauge was studied on the lot. It is accepted.")
_PRODUCT_NOUN = r"(?:lot|batch|part|product|piece|sample|component|shipment|subgroup|unit|housing|shaft|rotor)"
_PRODUCT = re.compile(r"(?P<preposition>\b(?:on|in|from|with|of|by|at|for|through|under|into|against|across)\s+)?"
                      rf"\b(?:the|this|that|a|an|each|one|another)\s+(?:[\w&'-]+\s+){{0,2}}?{_PRODUCT_NOUN}\b",
                      re.IGNORECASE)
# (a product noun after the gauge names the gauge: "the gauge unit was accepted")
_PREDICATE_OF_PRODUCT = re.compile(rf"\b(?P<gauge>(?:{_GAUGE}|msa)\s+)?{_PRODUCT_NOUN}(?:e?s)?{_AUXILIARIES}",
                                   re.IGNORECASE)
# ... and a clause opening with the product, the gauge named in what qualifies it ("The parts measured by the gauge
# were rejected.", "The lot that the gauge sorted was scrapped.")
_PRODUCT_OPENING = re.compile(r"\W*(?:(?:the|this|that|these|those|all|some|each|every|both|\d+)\s+)?"
                              rf"(?:(?!(?:{_GAUGE}|msa)\b)[\w&'-]+\s+){{0,2}}?{_PRODUCT_NOUN}(?:e?s)?\b", re.IGNORECASE)
# ... or the object of a relative clause or participle that qualifies the product ("Parts that fail the gauge are
# scrapped.", "Products failing the gauge are rejected."; not one that reports the gauge's verdict: "The lot that shows
# the gauge is rejected")
_REPORTING = r"(?:show|prove|indicat|suggest|confirm|mean|demonstrat|reveal|say|tell|imply|impli)\w*"
_QUALIFIER_OBJECT = re.compile(rf"\s+(?:(?:that|which|who)\s+(?:(?!(?:the|this|that|our|its|{_REPORTING})\b)\w+\s+){{1,3}}?"
                               rf"|(?!{_REPORTING})\w+ing\s+)(?:the|this|that|our|its)\s+(?:[\w&-]+\s+)?$", re.IGNORECASE)
_PREPOSITION = re.compile(r"\b(?:from|of|by|in|on|at|with|for|through|under|after|before)\s+(?:(?:the|this|that|our|its|an?)\s+)?"
                          r"(?:[\w&-]+\s+)?$", re.IGNORECASE)
_FORECAST = r"expected|likely|certain|bound|going|sure|destined|set"
# adverbs that hedge a prediction and leave it one ("would most probably be rejected", "in all likelihood")
_HEDGING = r"\w+ly|most|very|quite|almost|in\s+all\s+likelihood"
# a hedge opening a sentence ("Most likely,", "Probably"): its verdicts are hedged ones
_HEDGED_LEAD = (r"(?:(?:most|very|quite|almost|more\s+than)\s+)?(?:likely|probably|possibly|presumably)|in\s+all\s+likelihood"
                r"|it\s+(?:is|seems|looks|appears)\s+(?:(?:very|most|highly|quite)\s+)?(?:likely|probable)\s+that")
_HEDGED_OPENING = re.compile(rf"\W*(?:{_HEDGED_LEAD})\b", re.IGNORECASE)
# a comment on the writer's own view opening a sentence ("In practice,", "Realistically speaking,", "To my mind,"), or
# a hedge, not an adverb that supposes ("Hypothetically,", "Normally,")
_COMMENT_WORDS = (rf"{_HEDGED_LEAD}|in\s+(?:(?:our|my|the)\s+)?(?:practice|short|summary|conclusion|reality|fact|view"
                  r"|opinion|judge?ment|assessment|truth|effect|sum|brief|essence|end)|overall|therefore|thus|hence|so|on\s+balance"
                  r"|to\s+be\s+(?:clear|honest|frank|fair)|to\s+(?:my|our)\s+mind|as\s+(?:I|we)\s+see\s+it"
                  r"|(?:all\s+things|everything)\s+considered|bottom\s+line"
                  r"|(?!(?:hypothetical|theoretical|potential|possib|conceivab|eventual|probab|arguab|presumab|supposed"
                  r"|ideal|typical|normal|usual|general|original|former|previous|initial|later|subsequent|on|like)ly\b)"
                  r"\w+ly(?:\s+speaking)?")
_COMMENT = re.compile(rf"\W*(?:{_COMMENT_WORDS})\W*", re.IGNORECASE)
# a verdict predicted or imagined with nothing to wait for: the gauge, the process or the writers open the sentence
# (after a comment such as "In practice,") and nothing supposed follows the verdict (_SUPPOSED_AFTER): "The gauge is
# expected to be rejected.", "The gauge would be rejected by any auditor.", "We would accept the gauge as it stands."
_PREDICTED = re.compile(rf"\W*(?:(?:{_COMMENT_WORDS})\W+)?(?:(?:the|this|our|its)\s+)?"
                        rf"(?:(?!(?:then|now|so|after|once|when|if|with|later)\b)[\w&-]+\s+){{0,2}}?"
                        rf"(?:{_GAUGE}|msa|{_PROCESS}|we|i)\s+(?:(?P<would>would)|(?:is|are)\s+(?:{_FORECAST})\s+to)\s+"
                        rf"(?:(?:{_HEDGING}|be|considered|deemed|judged|rated|regarded\s+as|classed\s+as)\s+)*", re.IGNORECASE)
# ... or given by the judge who opens the sentence, the gauge or the process its object or called what the verdict
# says ("The customer would accept the gauge.", "Our SQE is expected to reject the process.", "The auditor would call
# the gauge acceptable."; not a judge who is one of several or applies another standard: "Some customers would reject
# the gauge.", "A stricter auditor would ..."; a judge named or indefinite, "Customer X would ...", gives a hedged one)
_JUDGE_PREDICTED = re.compile(rf"\W*(?:(?:{_COMMENT_WORDS})\W+)?(?:(?:the|our|this|that|your|their|its|my)\s+(?:(?!(?:"
                              r"some|many|several|certain|few|other|others|stricter|tighter|more|less)\b)[\w&'-]+\s+)"
                              r"{1,3}?|(?:they|he|she|[\w-]+s)\s+"
                              # a judge named ("GM", "Customer X") or indefinite ("a customer"): a verdict it might give
                              r"|(?P<other_judge>(?:an?\s+|(?=(?-i:[A-Z])))(?:(?!(?:the|our|this|that|your|their|its|my|an?|it|there"
                              r"|we|i|you|one|nobody|no|none|any|every|each|all|most|some|many|several|certain|few|other|others"
                              r"|stricter|tighter|more|less)\b)[\w&'-]+\s+){1,3}?))"
                              rf"(?:(?P<would>would)|(?:is|are)\s+(?:{_FORECAST})\s+to)\s+(?:(?:{_HEDGING})\s+)*"
                              r"(?P<called>(?:call|consider|deem|find|judge|rate|declare)\s+(?:the|this|our|its)\s+"
                              rf"(?:[\w&-]+\s+){{0,2}}?(?:{_GAUGE}|msa|{_PROCESS})\s+(?:(?:to\s+be|as)\s+)?)?",
                              re.IGNORECASE)
# ... and a sentence that supposes something, after which a "would" imagines ("Suppose the tolerance were doubled. The
# gauge would be accepted.")
_SUPPOSING = re.compile(r"\W*(?:if|suppose|supposing|assume|assuming|imagine|were|had|with|without|in\s+case"
                        r"|hypothetically|say)\b", re.IGNORECASE)
_JUDGE = r"(?:any|every|each|all|most)\s+(?:[\w-]+\s+)?[\w-]+|anyone|anybody|everyone|everybody"
# ... or whoever would give it opens the sentence ("Any auditor would reject the gauge.", "Every customer would call the
# process incapable."), and nothing but a reason follows the verdict and its object
_JUDGE_WOULD = re.compile(rf"\W*(?:(?:{_COMMENT_WORDS})\W+)?(?:{_JUDGE})\s+would\b", re.IGNORECASE)
_REASON = r"\W*(?:since|because|given|as)\b"
_NOTHING_BUT_REASON = re.compile(rf"(?:{_REASON}.*)?\W*", re.IGNORECASE)
# a verdict expected ("should") for a reason is inferred from the figures, a hedged verdict ("The gauge should pass,
# given the 20 % GRR.")
_INFERRED = re.compile(_REASON, re.IGNORECASE)
# a verdict named only to be refused ("Accepting the gauge outright would be premature", "To release the process is
# not justified")
_REFUSED = re.compile(r"(?:\W+\w+){0,6}?\W+(?:(?:would\s+be|is|was|seems|appears)\s+(?:(?!not\b)\w+\s+)?(?:premature"
                      r"|unjustified|unwarranted|wrong|a\s+mistake|too\s+early|hasty|inappropriate|unwise)"
                      r"|(?:is|was|would\s+be)\s+not\s+(?:justified|warranted|appropriate|advisable|possible)"
                      r"|cannot\s+be\s+(?:justified|defended))\b", re.IGNORECASE)
_CONDITION_AFTER = re.compile(r"\b(?:until|unless|if|once|provided|pending|subject\s+to|on\s+condition|by\s+the\s+"
                              r"(?:customer|client|sqe))\b", re.IGNORECASE)
# words that make an acceptance conditional, before or after the stance word
_HEDGE_NOUNS = r"(?:condition|restriction|caveat|reservation|limitation|deviation|concession|waiver)s?"
_HEDGE_BEFORE = re.compile(r"\b(?:may|might|could|temporarily|partially|partly|limited|restricted|interim)\W+(?:\w+\W+){0,2}?$",
                           re.IGNORECASE)
_HEDGE_AFTER = re.compile(r"\b(?:(?<!even\s)if|provided|subject\s+to|pending|until|once|on\s+condition"
                          rf"|with\s+(?!no\b)(?:\w+\s+)?{_HEDGE_NOUNS}|for\s+now|temporar|interim|depending|dependent"
                          r"|(?<!not\s)only"
                          r"|(?<!standard\s)deviation|concession|waiver"
                          r"|but\s+not|not\s+for|except|restricted\s+to|limited\s+to)",
                          re.IGNORECASE)
# a conditional gauge (%GRR 10-30 %) may be acceptable for some applications (AIAG MSA): a use restricted to monitoring
# the process ("usable for SPC", not "for SPC and final inspection") is a conditional acceptance
_MONITORING_ONLY = re.compile(r"\b(?:for|in)\s+(?:[\w-]+\s+){0,2}?(?:spc|monitoring|process\s+control|control\s+charts?"
                              r"|trend\w*)\b(?![\w\s-]*\b(?:inspection|acceptance|release|sorting|all|any|every)\b)",
                              re.IGNORECASE)
# a restated criterion ("accept when %GRR < 10 % and ndc >= 5", "otherwise conditional", "a gauge whose %GRR
# exceeds 30 % is rejected"), not a stance
_CRITERION = re.compile(r"\botherwise\b|(?:\b(?:when|if|whenever|where|unless|whose)\b|\b(?:a|any|every|each)\s+(?:gauge|gage"
                        r"|process|measurement\s+system)\b).*(?:[<>\u2264\u2265]|\b(?:less|greater|"
                        r"more|lower|higher)\s+than\b|\b(?:below|above|exceeds?|at\s+least|at\s+most|between)\b)",
                        re.IGNORECASE)
# a sentence opening with a condition: its stances up to the next "but" or "while" clause are not taken when the
# condition is a criterion ("If %GRR < 10 %, the gauge is accepted") or they are in the future or a modal ("If the
# process passes the 30-day study, it will be accepted", "Once recalibrated, the gauge can be accepted"), and so is a
# purpose naming a verdict ("To be accepted, the gauge must pass.")
_CONDITION_OPENING = re.compile(r"\W*(?:if(?!\s+(?:anything|at\s+all)\b)|unless|provided|once(?!\s+(?:more|again)\b)|should"
                                r"|had|were|to\s+(?:\w+\s+){0,2}?(?:accept|approv|releas|qualif|pass|meet|satisf)\w*)\b",
                                re.IGNORECASE)
# an inverted counterfactual ("Had the gauge passed, ...", "Were the process capable, ...")
_COUNTERFACTUAL = re.compile(r"\W*(?:had|were)\b", re.IGNORECASE)
_FUTURE = re.compile(rf"\b(?:will|would|can|could|may|might|should|must|shall|(?:{_FORECAST})\s+to)\b", re.IGNORECASE)
_CONTRAST = re.compile(r"\s*(?:but|while|whereas|although|though|however|yet)\b", re.IGNORECASE)
# what a prediction or an aside may wait for ("is expected to pass once the shift is corrected", "The gauge is, after
# recalibration, expected to pass")
_WAITED_FOR = (r"until|unless|if|once|provided|pending|subject\s+to|on\s+condition|after|when|whenever|before|later"
               r"|eventually|otherwise|in\s+(?:that|this|which|such\s+an?)\s+(?:case|event)")
# what a predicted verdict may wait for after it ("would be accepted if ...", "would then be accepted", "would be
# accepted with a new fixture"; not "with conditions") or another standard it applies ("would reject the gauge under
# its 10 % rule"; not "under the customer's criteria"); a "would" followed by a contrast imagines too ("The gauge
# would be accepted, but ndc is 4.")
_SUPPOSED_AFTER = re.compile(rf"\b(?:{_WAITED_FOR}|then|(?:with|without)(?!\s+(?:\w+\s+)?{_HEDGE_NOUNS}\b)"
                             r"|(?:under|per|by|against|according\s+to)\s+(?:a|an|its|their|his|her|another|other"
                             r"|some|stricter|tighter)\b)\b", re.IGNORECASE)
# a clause cut off after its subject, modal or auxiliary by an aside ("The gauge would, in that case, be rejected"): it
# is read on with the clause after the asides, the asides read as what follows it (a hedge such as "with conditions"),
# and a modal or forecast verdict after an aside that is a condition ("in that case", "after recalibration", "with a
# better fixture") is no stance
_CUT_OFF = re.compile(rf"(?:\b(?:would|could|might|may|will|can|must|should|shall|is|are|was|were|be|been)(?:\s+(?:not"
                      rf"|never|\w+ly))*|^\W*(?:(?:the|this|our|its)\s+)?(?:[\w&-]+\s+){{0,2}}?(?:{_GAUGE}|msa|{_PROCESS}))"
                      r"\s*$", re.IGNORECASE)
_ASIDE = re.compile(rf"\s*(?:{_WAITED_FOR}|where|whether|as|in|on|at|by|for|from|with|without|under|per|according"
                    r"|following|despite|except|apart|barring|given|since|because|though|although|even|say|however"
                    r"|therefore|thus|hence|then|also|still|indeed|of\s+course|\w+ly)\b", re.IGNORECASE)
_WAITING_ASIDE = re.compile(rf"\s*(?:{_WAITED_FOR}|with|without)\b", re.IGNORECASE)
_NEW_CLAUSE = re.compile(r"\s*(?:and|or|so|but|while|whereas|yet)\b", re.IGNORECASE)
# "it" as the subject of a verb, standing for the gauge or the process that opens its sentence or the sentence before
# ("The gauge was studied by three appraisers. It is scrapped."), not an "it" that anticipates ("It is clear that
# ...", "It would be unwise to accept ...")
_IT = re.compile(r"\bit(?=\s+(?:is|was|has|had|will|would|must|should|shall|can|cannot|could|may|might|does|did|remains"
                 rf"|fails|passes|needs|stays)\b)(?!\s+(?:is|was|would\s+be|seems|appears)\s+(?!(?:{_FORECAST}|not)\b)\w+"
                 r"\s+(?:to|that)\b)", re.IGNORECASE)
_IT_OPENING = re.compile(rf"\W*(?:(?:{_COMMENT_WORDS})\W+)?(?=it\b)", re.IGNORECASE)
_OPENING_SUBJECT = re.compile(rf"\W*(?:(?:{_COMMENT_WORDS})\W+)?(?:(?:the|this|our|its|that)\s+)?(?:[\w&-]+\s+){{0,2}}?"
                              rf"(?P<noun>{_GAUGE}|msa|{_PROCESS})(?=\s+(?:\w+ly\s+)?(?:is|are|was|were|has|have|had|does"
                              r"|did|do|will|would|must|should|shall|can|cannot|could|may|might|fails?|failed|pass(?:es)?"
                              r"|passed|remains?|meets?|met|shows?|showed|\w+ed)\b)", re.IGNORECASE)
# a rejection restricted to a use ("unsuitable for final inspection", "rejected for product acceptance"): a partial
# rejection, as a conditional gauge is
_USE_RESTRICTED = re.compile(r"^\W*for\s+(?:\w+\s+){0,2}?(?:inspection|acceptance|release|sorting|audits?)\b",
                             re.IGNORECASE)
# "the gauge fails", "the process passed the study": a verdict in a bare pass or fail, the subject just before it, also
# predicted or required ("The gauge would most probably fail.", "The gauge should pass."; not "must pass the study", a
# test still to take)
_PASS_FAIL = re.compile(rf"(?P<aux>\s+(?:{_HEDGING}|therefore|thus|hence|also|still|then|now|does|did|do|has|had|have|will|not"
                        rf"|doesn't|didn't|hasn't|won't|(?P<predicted>(?:is|are)\s+(?:{_FORECAST})\s+to|would)"
                        r"|(?P<required>must|should|shall|ought\s+to|ha(?:s|ve)\s+to|needs?\s+to)"
                        r"|(?P<doubted>(?:is|are)\s+unlikely\s+to)))"
                        r"{0,3}\s+(?P<verb>fail(?:s|ed)?|pass(?:es|ed)?)"
                        r"(?=\s*(?:$|[.!,;:)\u2014\u2013]|-\s|(?:and|but|so|outright|overall|completely|entirely|again)\b"
                        r"|(?P<test>(?:the|its|this|our)\s+(?:(?!calibration\b)[\w&-]+\s+){0,2}?(?:study|qualification"
                        r"|assessment|evaluation|msa|ppap))(?![\w'\u2019])))", re.IGNORECASE)
_PASS_FAIL_SUBJECT = re.compile(rf"{_GAUGE}|msa|{_PROCESS}", re.IGNORECASE)
# a verb that gives its object, the gauge or the process, a verdict ("The customer would pass the gauge.", "The auditor
# would sign off the gauge.", "would fail the process"), the object ending its noun phrase (not "passed the gauge R&R
# study")
# (also "OK the gauge", "wave the gauge through", "turn the process down", "give the gauge a pass")
_VERDICT_OBJECT = rf"(?:the|this|that|our|its|their)\s+(?:[\w&-]+\s+)?(?:{_GAUGE}|msa|{_PROCESS})"
_OBJECT_VERDICT = re.compile(r"\b(?:(?P<accept>pass(?:es|ed|ing)?|sign(?:s|ed|ing)?\s+off(?:\s+on)?|ok(?:ay)?(?:s|ed|'d|ing)?"
                             r"|green-?light(?:s|ed|ing)?|wav(?:e|es|ed|ing)\s+through)"
                             r"|(?P<reject>fail(?:s|ed|ing)?|turn(?:s|ed|ing)?\s+down))"
                             rf"(?=\s+{_VERDICT_OBJECT}"
                             r"(?:\s*(?:[.,;:!?)]|$)|\s+(?:as|for|with|without|since|because|given|in|on|at|and|but|or|if"
                             r"|once|unless|until|when|under|per|by|against|according|\w+ly|outright|now|today|again)\b))",
                             re.IGNORECASE)
# a particle after the object ("sign the gauge off") is read before it, and a verdict given as a noun ("give the gauge
# a pass") as its verb
_PARTICLE_AFTER = re.compile(rf"\b(?P<verb>(?:sign|wav|turn)\w*)\s+(?P<object>{_VERDICT_OBJECT})\s+(?P<particle>off|through|down)\b",
                             re.IGNORECASE)
_GIVEN_VERDICT = re.compile(rf"\b(?P<verb>giv(?:e|es|en|ing)|gave|grant(?:s|ed|ing)?)\s+(?P<object>{_VERDICT_OBJECT})\s+(?:a|an|the)"
                            r"\s+(?:(?P<accept>pass|passing\s+grade|green\s+light|go-?ahead|thumbs[\s-]up|nod)|fail|failing\s+grade"
                            r"|red\s+light|thumbs[\s-]down)\b", re.IGNORECASE)
_PRODUCT_NAMED = re.compile(rf"\b{_PRODUCT_NOUN}(?:e?s)?\b", re.IGNORECASE)
# the decisions each stance agrees with
_AGREES = {"accept": {"accept"}, "reject": {"reject"}, "conditional": {"conditional"},
           "capable": {"accept", "conditional"}, "not accept": {"reject", "conditional"},
           "not reject": {"accept", "conditional"}, "not conditional": {"accept", "reject"},
           "not capable": {"reject", "conditional"}, "hedged accept": {"accept", "conditional"},
           "hedged reject": {"reject", "conditional"}}

# the control chart signals dismissed ("false alarms", "no assignable cause", "common-cause variation"), in a sentence
# on the flagged subgroups, not on the remaining ones ("the remaining subgroups show only common-cause variation")
_DISMISSAL = re.compile("|".join((
    r"\bfalse[\s-]+(?:alarm|signal|positive|call)s?\b(?![\s-]+(?:rate|probability|risk|frequency|chance))",
    r"\b(?:no|without(?:\s+an?|\s+any)?|lacked(?:\s+an?|\s+any)?)\s+(?:[\w-]+\s+){0,2}?causes?\b",
    r"\bspurious\b|\b(?:flukes?|artefacts?|artifacts?|coincidences?)\b",
    r"\b(?:just|only|mere(?:ly)?|pure(?:ly)?|is|are|was|were)\s+(?:\w+\s+)?noise\b",
    r"\bcommon[\s-]+causes?\b|\bnot\s+(?:real|genuine|true|actual)\s+signals?\b",
    r"\b(?:random|chance|ordinary|normal|natural|inherent)\s+(?:\w+\s+)?(?:noise|variation|fluctuation|scatter)s?\b",
)), re.IGNORECASE)
_DISMISSAL_DENIED = re.compile(r"(?:\b(?:not|no|none|never|neither|nor|rather\s+than|instead\s+of|ruled?\s+out)\b|n't)"
                               r"(?:\W+\w+){0,8}?\W*$", re.IGNORECASE)
_FLAGGED = re.compile(r"\b(?:signal\w*|flag\w*|alarms?|exclu\w+|out[\s-]+of[\s-]+control|rules?|[NR]\d|subgroups?\s+\d+)\b",
                      re.IGNORECASE)
_REMAINING = re.compile(r"\b(?:remaining|other|rest|retained|kept|unflagged|in[\s-]+control)\b", re.IGNORECASE)


def _blocks(report: str) -> list[list[str]]:
    """The report's paragraphs, list items, headings and table rows, each as its sentences: lines joined, split at
    sentence ends, semicolons, dashes and table cells."""
    out = []
    headed = re.sub(r"^(\s*#.*)$", "\\1\n", report, flags=re.MULTILINE)
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*+#|>]|\d+[.)]\s))", headed):
        text = re.sub(r"\s*\n\s*", " ", block.strip())
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z(\"'*_`])|[;|]|\s+[\u2014\u2013-]\s+", text)
        out.append([s.strip() for s in sentences if s.strip()])
    return out


def _clauses(sentence: str) -> list[str]:
    return [c for c in re.split(r"[,:()]|\b(?=(?:but|while|whereas|although|though|however|yet)\b)", sentence) if c.strip()]


def _object(clause: str, match: re.Match) -> re.Match | None:
    """The gauge, the process or another subject as the object of the stance verb ``match``, if it is one."""
    verb = _VERB.fullmatch(match.group(0))
    if not verb:
        return None
    return (_DIRECT_OBJECT if verb.group("past") else _OBJECT).match(clause, match.end())


# a verdict in the past with an earlier time in its clause or in what opens its sentence ("The customer rejected the
# gauge in last year's PPAP", "the gauge was accepted before the fixture rework", "In last year's PPAP, the customer
# rejected the gauge.") is the gauge's history, not a stance on it now
_EARLIER_EVENT = r"(?:ppap|study|studies|submission|msa|run|qualification|audit|assessment|review)"
_EARLIER_CHANGE = r"(?:rework|repair|recalibration|refurbishment|fix|modification|overhaul|replacement|upgrade)"
_EARLIER = re.compile(rf"\b(?:last\s+(?:year|month|quarter|time)|(?:previous|prior|earlier|original|initial|first|former)\s+"
                      rf"(?:[\w-]+\s+){{0,2}}?{_EARLIER_EVENT}|previously|originally|initially|formerly|back\s+in|in\s+(?:19|20)\d\d"
                      rf"|(?:years?|months?)\s+ago|before\s+(?:the\s+|its\s+)?(?:[\w-]+\s+)?{_EARLIER_CHANGE})\b", re.IGNORECASE)
_PAST_AUXILIARY = re.compile(r"\b(?:was|were|had(?:\s+been)?)\s+(?:\w+\s+){0,2}?$", re.IGNORECASE)
_PRESENT_AUXILIARY = re.compile(r"\b(?:is|are|am|be|being)\s+(?:\w+\s+){0,2}?$", re.IGNORECASE)


def _in_history(clause: str, match: re.Match, lead: str) -> bool:
    before = re.split(r"\b(?:and|but|or|so|yet|while|whereas|now|today|currently)\b", f"{lead} {clause[:match.start()]}",
                      flags=re.IGNORECASE)[-1]
    verb = _VERB.fullmatch(match.group(0))
    past = _PAST_AUXILIARY.search(before) or (verb and verb.group("past") and not _PRESENT_AUXILIARY.search(before))
    return bool(past and _EARLIER.search(before + match.group(0) + re.split(r"\b(?:and|but|so|yet|now|today)\b",
                                                                           clause[match.end():], flags=re.IGNORECASE)[0]))


def _stance(clause: str, match: re.Match, rest: str, first: bool, lead: str) -> str | None:
    """The stance ``match`` takes in ``clause`` (``rest``: the sentence after the clause, where a restriction such
    as "but not for final inspection" makes an acceptance conditional; ``first``: only a comment such as "In
    practice," comes before the clause in its sentence, and the sentence before supposes nothing; ``lead``: the
    sentence before the clause)."""
    before, after = clause[:match.start()], clause[match.end():] + " " + rest
    kind = match.lastgroup or ""
    if _in_history(clause, match, lead):
        return None
    predicate = _PREDICATE_OF.search(before)
    if _PREDICATE_ONLY.fullmatch(match.group(0)) and (not predicate or _PREPOSITION.search(before, 0, predicate.start())):
        return None
    product = _PREDICATE_OF_PRODUCT.search(before)
    if product and not product.group("gauge") and not _PREPOSITION.search(before, 0, product.start()):
        return None
    if _VERB.fullmatch(match.group(0)) and re.fullmatch(r"\W*(?:to\s+)?", before, re.IGNORECASE) \
            and _REFUSED.match(clause, match.end()):
        return f"not {kind}"
    obj = _object(clause, match)
    product_opening = _PRODUCT_OPENING.match(before)
    if product_opening and not obj and (not predicate or _PREPOSITION.search(before, 0, predicate.start())
                                        or _QUALIFIER_OBJECT.fullmatch(before, product_opening.end(), predicate.start())):
        return None
    judge = _JUDGE_PREDICTED.fullmatch(before)
    predicted = (_PREDICTED.fullmatch(before) or (judge if judge and (obj or judge.group("called")) else None)) \
        if first else None
    predicted = predicted if predicted and not _SUPPOSED_AFTER.search(after) and not (
        predicted.group("would") and _CONTRAST.match(rest)) else None
    if first and _JUDGE_WOULD.match(before) and not re.search(r"\b(?:not|never)\b|n't", before, re.IGNORECASE) \
            and _NOTHING_BUT_REASON.fullmatch(clause[obj.end():] + " " + rest if obj else after):
        return kind
    directive = _DIRECTIVE.search(before)
    if directive and _CONDITION_AFTER.search(after):
        return None
    if _NEGATION.search(before) or _DOUBTED.search(before):
        return f"not {kind}"
    judged = directive and (directive.group("judged") or directive.group("judged_to"))
    untaken = _UNTAKEN.search(before)
    required = untaken and re.match(r"must|should|shall|needs?\s+to|ha(?:s|ve)\s+to", untaken.group(0), re.IGNORECASE)
    directed = directive and (judged or kind == "conditional" or _VERDICT.match(match.group(0)))
    # "should" before a verdict with nothing after it but a reason expects the verdict ("The gauge should be fine.")
    expected = untaken and re.match(r"should\b", untaken.group(0), re.IGNORECASE) and _NOTHING_BUT_REASON.fullmatch(after)
    if untaken and not predicted and not expected and not (kind == "conditional" and required) and not directed:
        return None
    if predicted and predicted.re is _JUDGE_PREDICTED and predicted.group("other_judge") and kind in ("accept", "reject"):
        return f"hedged {kind}"
    if expected and not directed and kind in ("accept", "reject") and _INFERRED.match(after):
        return f"hedged {kind}"
    permission = re.match(r"(?:be|is|are)\s+used", match.group(0), re.IGNORECASE)
    if re.search(r"\b(?:without|with\s+no|unrestricted)", match.group(0), re.IGNORECASE):
        return kind
    if kind == "accept" and ((_HEDGE_BEFORE.search(before) and not permission) or _HEDGE_AFTER.search(after)
                             or _MONITORING_ONLY.search(match.group(0) + after)):
        return "hedged accept"
    if kind == "reject" and _USE_RESTRICTED.search(clause[match.end():]):
        return "hedged reject"
    return kind


def _pass_fail(clause: str, rest: str, supposed: bool) -> list[tuple[str, str]]:
    """(subject, stance) of every bare pass or fail of the gauge or the process in ``clause`` (``rest``: the sentence
    after it, where a predicted pass or fail may find what it waits for; ``supposed``: the sentence before supposes
    what a "would" imagines)."""
    found = []
    for noun in _SUBJECT.finditer(clause):
        verdict = _PASS_FAIL.match(clause, noun.end())
        if noun.lastgroup not in ("gauge", "process") or not _PASS_FAIL_SUBJECT.fullmatch(noun.group(0)) or not verdict:
            continue
        # "should" expects the outcome of the test it names ("The gauge should fail the study."), where "must" requires a
        # test still to take ("The gauge must pass the MSA.")
        expected = re.search(r"\b(?:should|ought\s+to)\b", verdict.group(0), re.IGNORECASE)
        outcome_end = verdict.end("test") if expected and verdict.group("test") else verdict.end()
        after = clause[outcome_end:] + " " + rest
        would = re.search(r"\bwould\b", verdict.group(0), re.IGNORECASE)
        inferred = expected and _INFERRED.match(after)
        test_to_take = verdict.group("required") and clause[outcome_end:].strip(" .!") and not inferred
        if _UNTAKEN.search(clause[:noun.start()]) or test_to_take or (would and (supposed or _CONTRAST.match(rest))) \
                or ((verdict.group("predicted") or verdict.group("required")) and _SUPPOSED_AFTER.search(after)):
            continue
        kind = "accept" if verdict.group("verb").lower().startswith("pass") else "reject"
        negated = (re.search(r"\bnot\b|n't", verdict.group(0), re.IGNORECASE) or verdict.group("doubted")
                   or re.search(r"\b(?:neither|nor)\b", clause[:noun.start()], re.IGNORECASE)
                   or _DOUBTED.search(clause[:noun.start()]))
        found.append((noun.lastgroup, f"not {kind}" if negated else f"hedged {kind}" if inferred else kind))
    return found


def _resolved(sentence: str, previous: str) -> str:
    """``sentence`` with "it" as a subject replaced by the gauge or process opening it (or, for an "it" opening it,
    opening ``previous``), or by the product named last between them."""
    sentence = re.sub(r"\bit['\u2019]s\b", "it is", sentence, flags=re.IGNORECASE)
    own, before, it = _OPENING_SUBJECT.match(sentence), _OPENING_SUBJECT.match(previous), _IT_OPENING.match(sentence)
    if before and it:
        antecedent = _antecedent(previous[before.end():], before.group("noun"))
        sentence = sentence[:it.end()] + _IT.sub(lambda _: antecedent, sentence[it.end():], count=1)
    if not own:
        return sentence
    head, tail = sentence[:own.end()], sentence[own.end():]
    return head + _IT.sub(lambda it_: _antecedent(tail[:it_.start()], own.group("noun")), tail)


def _antecedent(text: str, noun: str) -> str:
    """What an "it" after ``text`` stands for: the product ``text`` names last ("the lot"), else ``noun``."""
    products = [product.group(0) for product in _PRODUCT.finditer(text) if not product.group("preposition")]
    return products[-1] if products else noun


def _object_verdicts(sentence: str) -> str:
    """``sentence`` with a verb that gives the gauge or the process a verdict as its object read as accept or reject,
    unless the product gives it ("parts that pass the gauge are shipped") or the gauge or the process passes or fails
    it as its own test ("The gauge must pass the MSA.", read as a bare pass or fail)."""
    def verdict(verb: re.Match) -> str:
        own_test = any((passed := _PASS_FAIL.match(verb.string, noun.end())) and passed.start("verb") == verb.start()
                       for noun in _SUBJECT.finditer(verb.string, 0, verb.start()) if _PASS_FAIL_SUBJECT.fullmatch(noun.group(0)))
        if own_test or _PRODUCT_NAMED.search(sentence, 0, verb.start()):
            return verb.group(0)
        word = verb.group(0).split()[0].lower()
        tense = ("ed" if word.endswith(("ed", "'d", "gave", "given")) else "ing" if word.endswith("ing")
                 else "s" if word.endswith("s") and not word.endswith("ss") else "")
        read = ("accept" if verb.group("accept") else "reject") + tense
        return f"{read} {verb['object']}" if verb.re is _GIVEN_VERDICT else read
    sentence = _PARTICLE_AFTER.sub(r"\g<verb> \g<particle> \g<object>", sentence)
    return _OBJECT_VERDICT.sub(verdict, _GIVEN_VERDICT.sub(verdict, sentence))


def stances(report: str) -> list[tuple[str, str, str]]:
    """(subject, stance, sentence) for every stance the report's prose takes on the gauge or the process. A stance
    is about the nearest subject before it, in its sentence or earlier in its paragraph ("In practice it is
    accepted"); an acceptance or rejection in a sentence that makes a conditional one is conditional."""
    found = []
    for block in _blocks(report):
        subject: str | None = None
        previous = ""
        supposed = False
        for sentence in block:
            taken = []
            read = previous = _object_verdicts(_resolved(sentence, previous))
            clauses = _clauses(read)
            opening = bool(_CONDITION_OPENING.match(sentence))
            criterion = opening and bool(_CRITERION.search(clauses[0]))
            counterfactual = bool(_COUNTERFACTUAL.match(sentence))
            modal = False
            cut: int | None = None
            asides: list[str] = []
            for index, clause in enumerate(clauses):
                first_index, before_asides = index, []
                if cut is not None and not _NEW_CLAUSE.match(clause):
                    first_index, before_asides = cut, list(asides)
                    if _ASIDE.match(clause):
                        asides += [] if _COMMENT.fullmatch(clause) else [clause]
                    else:
                        cut = None
                    clause = clauses[first_index] + clause
                elif _CUT_OFF.search(clause):
                    cut, asides = index, []
                else:
                    cut = None
                rest = " ".join(before_asides + clauses[index + 1:])
                waiting = _FUTURE.search(clause) and any(_WAITING_ASIDE.match(aside) for aside in before_asides)
                opening = opening and not (index and _CONTRAST.match(clause))
                # an inverted counterfactual ("Had the gauge passed, ...") takes no stance in its condition nor after
                # its first modal ("..., %GRR would exceed 30 %, and the gauge rejected")
                imagined = bool(waiting) or (opening and (criterion or (counterfactual and (index == 0 or modal))))
                modal = modal or bool(_FUTURE.search(clause))
                last = 0
                for match in _STANCE.finditer(clause):
                    before = list(_SUBJECT.finditer(clause, last, match.start()))
                    obj = _object(clause, match)
                    if obj:
                        subject = obj.lastgroup
                    elif before:
                        subject = before[-1].lastgroup
                    last = match.end()
                    conditioned = imagined or (opening and _FUTURE.search(clause, 0, match.start()))
                    stance = None if conditioned or _CRITERION.search(clause) else \
                        _stance(clause, match, rest,
                               not supposed and all(_COMMENT.fullmatch(c) for c in clauses[:first_index]),
                               " ".join(clauses[:first_index]))
                    if subject in ("gauge", "process") and stance is not None:
                        taken.append((subject, stance))
                if not (imagined or (opening and _FUTURE.search(clause))) and not _CRITERION.search(clause):
                    taken.extend(_pass_fail(clause, rest, supposed))
                for noun in _SUBJECT.finditer(clause, last):
                    subject = noun.lastgroup
            if _HEDGED_OPENING.match(sentence):
                taken = [(who, f"hedged {stance}" if stance in ("accept", "reject") else stance) for who, stance in taken]
            conditional = {who for who, stance in taken if stance == "conditional"}
            # a rejection for one use beside an acceptance for another ("unsuitable for final inspection but usable
            # for SPC") is a conditional verdict
            partial = {who for who, stance in taken if stance == "hedged reject"}
            found.extend((who, "conditional" if who in conditional and stance in ("accept", "reject") else
                          "hedged accept" if who in partial and stance == "accept" else stance, sentence)
                         for who, stance in taken)
            supposed = bool(_SUPPOSING.match(sentence))
    return found


def contradictions(report: str, gauge_decision: str, process_decision: str, gauge_id: str = "") -> list[str]:
    """The report's sentences that disagree with the decisions or dismiss the flagged subgroups' signals; the
    gauge's ID ("RF-07") names it as the word gauge does."""
    if gauge_id:
        # written with or without its hyphen and leading zeros ("RF-07", "RF07", "RF 7")
        letters, digits = re.fullmatch(r"([A-Za-z]+)-0*(\d+)", gauge_id).groups()
        report = re.sub(rf"(?<![\w-]){letters}[\s-]?0*{digits}(?![\w-])", "gauge", report, flags=re.IGNORECASE)
    decisions = {"gauge": gauge_decision, "process": process_decision}
    wrong = [f"{subject} {stance} (decision {decisions[subject]}): {sentence}"
             for subject, stance, sentence in stances(report) if decisions[subject] not in _AGREES[stance]]
    for sentence in (s for block in _blocks(report) for s in block):
        if _FLAGGED.search(sentence) and not _REMAINING.search(sentence) and any(
                not _DISMISSAL_DENIED.search(re.split(r"[,;:()]", sentence[:m.start()])[-1])
                for m in _DISMISSAL.finditer(sentence)):
            wrong.append(f"signals dismissed: {sentence}")
    return wrong
