"""Every word the reports say, in Chinese and English: the one catalogue of zh/en texts.

Three tables, one per kind of report part, each with a ``zh`` and an ``en`` side holding the same
keys: the rectification list and next-grade plan (:mod:`.words`, shared by both reports), the HTML
page (:mod:`.html`, :mod:`.charts`) and the text report (:mod:`.text`). A key means the same
thing in both languages; a text with ``{placeholders}`` is filled with ``str.format``.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The languages the reports speak; anything else is shown in Chinese.
LANGS = ("zh", "en")


def lang_of(lang: str) -> str:
    """The report language for a requested one: English when asked for, else Chinese."""
    return "en" if lang == "en" else "zh"


#: The rectification list (整改清单) and the next-grade plan.
RECTIFICATION_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "veto": "否决项", "gate": "必备条件", "points": "失分", "cap": "等级至多为", "deny": "不予认定",
        "none": "仅记录，不影响等级", ">=": "不低于", ">": "高于", "<=": "不超过", "<": "低于", "==": "为",
        "now": "现为", "must": "须", "or": "或", "raise": "增至", "reduce": "减至", "set": "改为",
        "by_up": "至少增加", "by_down": "至少减少", "pp": "个百分点", "from": "由", "sep": "：", "semi": "；",
        "points_of": "{points}/{max} 分，差 {shortfall} 分",
        "panel": "由评估组评分：数据无法弥补这一差距",
        "level": "须达到“{required}”（现为“{value}”），由评估组认定",
        "event": "已发生的事件（{value}）：数据无法弥补，本次评估中该否决成立",
        "fact": "须为 {required}（现为 {value}）：所报告的事实本身须改变",
        "not_computed": "整改量无法由公式精确求出（{note}）",
        "negative": "单独调整{field}无法达到（须为负数）", "above_one": "单独调整{field}无法达到（须超过100%）",
        "no_solution": "单独调整{field}无法达到（须为非整数）",
        "published": "采用的是公布的比率；要换算为人数，需提供 {counts}",
        "cv_head": "全县平均 {mean}，标准差 {sd}",
        "cv_sd": "全县平均不变时，标准差须降至不超过 {sd}",
        "cv_from": "差异主要来自：", "below_mean": "低于全县平均 {d}", "above_mean": "高于全县平均 {d}",
        "variance": "占方差 {p}%", "to_mean": "达到全县平均需 {fix}",
        "k_of_n": "达标 {met}/{n} 项，须至少 {k} 项", "k_more": "须再达标 {needed} 项，可选：",
        "floor": "低于下限（标准的 {floor} 倍）的项须至少达到下限：",
        "units_failing": "未达标单位 {n} 个", "units_more": "须至少再有 {needed} 个达标",
        "best": "已是最高等级。",
        "found": "达到“{target}”最少需要 {n} 项整改：",
        "needed_points": "（得分距“{target}”分数线还差 {points} 分）",
        "after": "整改后：得分 {score}，等级“{grade}”（已重新评估验证）。",
        "after_grade": "整改后：等级“{grade}”（已重新评估验证）。",
        "bounded": "搜索有上限，可能存在更小的方案。",
        "blocked": "无法达到“{target}”：{items} 不能通过数据整改弥补。",
        "not_found_bounded": "在搜索上限内未找到达到“{target}”的方案。",
        "not_found": "即使完成全部可由数据完成的整改，也达不到“{target}”。",
        "by_panel": "（由评估组评分）", "by_level": "（由评估组认定）", "by_fact": "（事实须改变）",
        "by_indicator": "（须逐校整改，见上）", "unit_of": "{unit}", "next": "达到上一等级",
        "title": "整改清单", "none_left": "无需整改：没有未达到的条件，也没有失分项。",
        "no_bound": "该计分方式没有可求的满分界限", "no_closed_form": "公式对任一输入都不是线性比值",
        "not_numeric": "不是数值", "aggregate": "汇总方式无逐项整改量", "too_deep": "嵌套过深",
        "analysis": "分析失败", "share": "（全校数，本学段占 {p}%）",
        "no_lever": "没有县可调整的投入能弥补这一差距：", "given": "在{given} 不变的情况下，",
    },
    "en": {
        "veto": "veto", "gate": "gate", "points": "points", "cap": "grade at most", "deny": "not recognised",
        "none": "reported only, no effect on the grade", ">=": "at least", ">": "above", "<=": "at most",
        "<": "below", "==": "equal to", "now": "now", "must": "must be", "or": "or ", "raise": "raise",
        "reduce": "reduce", "set": "set", "by_up": "an increase of at least", "by_down": "a reduction of at least",
        "pp": "percentage points", "from": "from", "sep": ": ", "semi": "; ",
        "points_of": "{points} of {max} points, {shortfall} short",
        "panel": "awarded by the panel: data cannot close this gap",
        "level": "must become “{required}” (now “{value}”), as the panel judges",
        "event": "an event that happened ({value}): data cannot undo it; the veto stands for this evaluation",
        "fact": "must be {required} (now {value}): the reported fact itself must change",
        "not_computed": "the amount cannot be derived exactly from the formula ({note})",
        "negative": "{field} alone cannot do it (it would have to be negative)",
        "above_one": "{field} alone cannot do it (it would have to exceed 100%)",
        "no_solution": "{field} alone cannot do it (no whole number does)",
        "published": "a published rate was used; a number of pupils needs the counts {counts}",
        "cv_head": "county mean {mean}, standard deviation {sd}",
        "cv_sd": "with the mean unchanged, the standard deviation must fall to at most {sd}",
        "cv_from": "the dispersion comes mostly from:", "below_mean": "{d} below the county mean",
        "above_mean": "{d} above the county mean", "variance": "{p}% of the variance", "to_mean": "to reach the mean: {fix}",
        "k_of_n": "meets {met} of {n}, needs {k}", "k_more": "{needed} more of these:",
        "floor": "items below the floor ({floor} × the standard) must at least reach it:",
        "units_failing": "{n} units do not meet it", "units_more": "at least {needed} more must",
        "best": "Already the best grade.",
        "found": "The fewest repairs that reach “{target}”: {n}.",
        "needed_points": " (the score is {points} points short of the cut-off of “{target}”)",
        "after": "After them: score {score}, grade “{grade}” (checked by re-evaluation).",
        "after_grade": "After them: grade “{grade}” (checked by re-evaluation).",
        "bounded": "The search is bounded; a smaller plan may exist.",
        "blocked": "“{target}” cannot be reached: {items} cannot be closed by data.",
        "not_found_bounded": "No plan reaching “{target}” within the bound of the search.",
        "not_found": "Even with every repair the data allows, “{target}” is not reached.",
        "by_panel": " (awarded by the panel)", "by_level": " (judged by the panel)", "by_fact": " (the fact must change)",
        "by_indicator": " (school by school, see above)", "unit_of": "{unit}", "next": "Reaching the next grade",
        "title": "Rectification list", "none_left": "Nothing to rectify: every condition is met and no point is lost.",
        "no_bound": "this kind of scoring has no computable full-points bound",
        "no_closed_form": "the formula is not a ratio of linear functions of any input",
        "not_numeric": "not a number", "aggregate": "this aggregation gives no per-item amount", "too_deep": "nested too deep",
        "analysis": "analysis failed", "share": " (the whole school's; this segment's share is {p}%)",
        "no_lever": "no lever the county can move closes this gap:", "given": "given {given}, ",
    },
}

#: The HTML report: headings, table columns, chart captions, badges.
PAGE_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "lang": "zh-CN", "title": "督导评估结果报告", "county": "县（市、区）", "standard": "评估标准",
        "sha": "标准内容哈希（SHA-256）", "decision": "决策编号",
        "unrecorded": "未记录（记入台账后才有决策编号）", "as_of": "评估日期", "stage": "评估阶段",
        "evaluator": "评估者", "input": "提交数据哈希", "kernel": "内核版本", "grade": "评定等级",
        "score": "得分", "why": "为何不是“{grade}”（分数已达到）：", "why_gates": "为何不是“{grade}”：", "rules": "必备条件与否决项",
        "kind": "类别", "rule": "条目", "state": "状态", "value": "值", "limit": "标准", "effect": "影响",
        "veto": "否决项", "gate": "必备条件", "triggered": "触发", "not_triggered": "未触发",
        "failed": "未达到", "passed": "通过", "cap": "等级至多为 {grade}", "deny": "不予认定", "none": "仅记录",
        "not_assessable": "不可评估", "missing_inputs": "不可评估（缺少 {inputs}）",
        "held": "不可评估，等级至多为 {grade}", "missing": "缺少 {inputs}",
        "indicators": "指标", "indicator": "指标", "met": "达标", "points": "得分", "yes": "是", "no": "否",
        "units": "{n} 个单位", "failed_units": "未达标：{units}", "published": "采用公布值",
        "charts": "图表", "chart_limit": "各指标值与标准（以标准为 100%）",
        "chart_limit_note": "条形为 值 ÷ 标准；竖线为标准；红色为未达标",
        "chart_cv": "各差异系数与其上限", "chart_cv_note": "竖线为上限；综合上限指该系数所属综合差异系数的上限",
        "composite": "综合上限", "chart_points": "各领域得分", "chart_points_note": "深色为得分，浅色为满分",
        "no_chart": "本标准没有可绘制的此类数据。", "rectification": "整改清单",
        "next": "达到上一等级", "assumptions": "本结果所依据的假定", "no_assumptions": "本结果不依赖任何假定参数。",
        "sources": "依据文件", "footer": "由 standards-kernel {version} 生成：自包含页面，无脚本、无外部字体；数值仅为显示而舍入。",
        "closable_data": "可由数据整改", "closable_fact": "须改变事实", "closable_panel": "评估组评分",
        "closable_level": "评估组认定", "closable_event": "不可弥补", "closable_not_computed": "未能求出整改量",
        "closable_no_lever": "无可调整的投入",
        "area": "领域", "max": "满分", "replayed": "本记录不含整改清单（记录早于该功能）；下列清单由重放本记录算出。",
        "colon": "：", "paren": "（{text}）", "assumed_cutoffs": "等级分数线为假定值：{items}",
        "basis": "依据", "limit_basis": "标准值依据", "printed": "打印日期", "signatures": "签字",
        "sign_panel": "评估组组长", "sign_reviewer": "复核人", "sign_date": "日期",
        "panel_items": "由评估组评分的项目（数据无法弥补这些差距）", "panel_lost": "失分合计 {lost} 分",
        "running": "{county} · {standard} · 决策编号 {decision}", "page": "第 {page} 页，共 {pages} 页",
    },
    "en": {
        "lang": "en", "title": "Supervision evaluation report", "county": "County", "standard": "Standard",
        "sha": "Standard content hash (SHA-256)", "decision": "Decision id",
        "unrecorded": "not recorded (evaluate --record gives it a decision id)", "as_of": "Evaluation date", "stage": "Stage",
        "evaluator": "Evaluator", "input": "Submission hash", "kernel": "Kernel version", "grade": "Grade",
        "score": "Score", "why": "Why not “{grade}” (the score reaches it):", "why_gates": "Why not “{grade}”:", "rules": "Gates and vetoes",
        "kind": "kind", "rule": "rule", "state": "state", "value": "value", "limit": "limit", "effect": "effect",
        "veto": "veto", "gate": "gate", "triggered": "TRIGGERED", "not_triggered": "not triggered",
        "failed": "FAILED", "passed": "passed", "cap": "grade at most {grade}", "deny": "not recognised",
        "not_assessable": "not assessable", "missing_inputs": "not assessable (missing {inputs})",
        "held": "not assessable, grade at most {grade}", "missing": "missing {inputs}",
        "none": "reported only", "indicators": "Indicators", "indicator": "indicator", "met": "met",
        "points": "points", "yes": "yes", "no": "NO", "units": "{n} units", "failed_units": "not meeting it: {units}",
        "published": "published figure", "charts": "Charts",
        "chart_limit": "Each indicator against its limit (limit = 100%)",
        "chart_limit_note": "bars are value ÷ limit; the line is the limit; red: not met",
        "chart_cv": "Difference coefficients against their ceilings",
        "chart_cv_note": "the line is the ceiling; “composite” marks the ceiling of the composite it belongs to",
        "composite": "composite", "chart_points": "Points by area", "chart_points_note": "dark: points; light: maximum",
        "no_chart": "This standard has no data of this kind to draw.", "rectification": "Rectification list",
        "next": "Reaching the next grade", "assumptions": "Assumptions this result rests on",
        "no_assumptions": "This result rests on no assumed parameter.", "sources": "Sources",
        "footer": "Made by standards-kernel {version}: a self-contained page, no scripts, no remote fonts; numbers rounded for display only.",
        "closable_data": "closable by data", "closable_fact": "the fact must change", "closable_panel": "panel points",
        "closable_level": "judged by the panel", "closable_event": "cannot be closed", "closable_not_computed": "amount not derived",
        "closable_no_lever": "no lever closes it",
        "area": "area", "max": "max", "replayed": "This record predates the rectification list; the list below comes from replaying it.",
        "colon": ": ", "paren": " ({text})", "assumed_cutoffs": "The grade cut-offs are assumed: {items}",
        "basis": "basis", "limit_basis": "basis of the limit", "printed": "Printed", "signatures": "Signatures",
        "sign_panel": "Head of the evaluation panel", "sign_reviewer": "Reviewer", "sign_date": "Date",
        "panel_items": "Items the panel scores (data cannot close these gaps)", "panel_lost": "{lost} points lost in all",
        "running": "{county} · {standard} · decision {decision}", "page": "page {page} of {pages}",
    },
}

#: The text report.
TEXT_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "grade": "等级", "score": "得分", "reaches": "分数已达到", "why_not": "未评为", "because": "原因",
        "veto": "否决项", "gate": "必备条件", "triggered": "触发", "failed": "未达到", "passed": "通过",
        "not_triggered": "未触发", "indicators": "指标", "value": "值", "limit": "标准", "met": "达标",
        "points": "得分", "assumptions": "本结果依赖的假定", "units_failed": "未达标单位",
        "as_of": "评估日期", "stage": "评估阶段", "capped": "等级至多为", "denied": "否决，等级为",
        "none": "仅记录", "yes": "是", "no": "否", "published": "采用公布值",
        "units": "{n} 个单位", "basis": "依据", "limit_basis": "标准值依据", "ids": "编号",
        "not_assessable": "不可评估", "missing_inputs": "不可评估（缺少 {inputs}）",
    },
    "en": {
        "grade": "Grade", "score": "Score", "reaches": "the score reaches it", "why_not": "Not", "because": "because",
        "veto": "veto", "gate": "gate", "triggered": "TRIGGERED", "failed": "FAILED", "passed": "passed",
        "not_triggered": "not triggered", "indicators": "Indicators", "value": "value", "limit": "limit",
        "met": "met", "points": "points", "assumptions": "Assumptions this result rests on",
        "units_failed": "units not meeting it", "as_of": "as of", "stage": "stage", "capped": "grade at most",
        "denied": "denied, grade", "none": "reported only", "yes": "yes", "no": "NO", "published": "published figure",
        "units": "{n} units", "basis": "basis", "limit_basis": "basis of the limit", "ids": "id",
        "not_assessable": "not assessable", "missing_inputs": "not assessable (missing {inputs})",
    },
}


#: What a rule rests on (:mod:`.basis`): statuses, stages, quotes, the assumed mark.
BASIS_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "status_verified": "已核实", "status_corroborated": "有旁证", "status_reconstructed": "推定",
        "status_assumed": "假定", "stage_self": "自评", "stage_municipal_review": "市级复评",
        "stage_provincial": "省级评估", "stage_national": "国家评估认定",
        "title": "《{title}》", "quote": "“{text}”", "paren": "（{text}）", "no_source": "未注明出处",
        "assumed_alone": "假定，未见于任何来源", "assumed_mark": "〔假定〕",
    },
    "en": {
        "status_verified": "verified", "status_corroborated": "corroborated", "status_reconstructed": "reconstructed",
        "status_assumed": "assumed", "stage_self": "self-evaluation", "stage_municipal_review": "municipal review",
        "stage_provincial": "provincial evaluation", "stage_national": "national review",
        "title": "‹{title}›", "quote": "“{text}”", "paren": " ({text})", "no_source": "no source cited",
        "assumed_alone": "assumed, found in no source", "assumed_mark": "[assumed]",
    },
}

#: Listings of records (:mod:`.differences`): ``diff``, ``replay``, ``ledger list``, ``check``, ``test``.
LISTING_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "same": "相同：没有字段不同", "identical": "重放 {id}：完全一致", "different": "重放 {id}：不一致（{n} 处）",
        "failed": "重放 {id}：未能重现：评估失败：{error}", "recorded": "记录值", "replayed": "重放值",
        "absent": "（无）", "kernel": "内核 {version}", "kernels": "记录时内核 {a}，重放时内核 {b}",
        "from_record": "标准 {key}（sha256 {sha}，取自记录）", "other": "其余 {n} 处差异在计算过程中（标签、参数、来源等；--all 列出）",
        "records": "共 {n} 条记录", "recorded_at": "记录于 {at}", "evaluation": "评估", "inputs": "提交数据",
        "outcome": "结论", "vetoes": "否决项", "gates": "必备条件", "indicators": "指标", "areas": "领域",
        "section_other": "其他", "grade": "等级", "score": "得分", "stage": "阶段", "as_of": "评估日期",
        "check_title": "{key}：{title}", "in_force": "有效期 {start} 至 {end}", "open": "至今",
        "extends": "；继承 {base}", "n_indicators": "指标 {n} 项（计分 {scored} 项）", "max_score": "满分 {score}",
        "n_gates": "必备条件：{names}", "n_vetoes": "否决项：{names}", "grades": "等级（由高到低）：{names}",
        "statuses": "参数按依据状态（每个参数按其最不确定的取值计）：{counts}",
        "value_statuses": "各时段取值按依据状态：{counts}",
        "earlier_format_full": "记录为旧格式 {format}（含每个单位读取的数据）：已与完整追踪逐字节比较",
        "earlier_format": "记录为旧格式 {format}：{sections}未比较（其含义在此后的格式中已改变，记录保留当时内核的结论）",
        "earlier_format_plain": "记录为旧格式 {format}：逐字节比较",
        "earlier_sums": "按记录当时的求和方式重算（各项先舍入到 28 位有效数字，再按升序逐次相加）；现行格式 {current} "
                        "对每个求和精确计算、只舍入一次，系数的末位可能不同",
        "skipped_gaps": "整改清单", "skipped_next_grade": "升级方案", "skipped_inputs": "标准自设输入的名称",
        "assumed": "假定参数（{n} 个；依赖它们的结果会注明）：{names}", "none": "无",
        "pass": "通过", "fail": "未通过", "error": "错误", "summary": "{passed}/{total} 个用例通过",
        "field_grade_by_score": "按分数的等级", "field_failed_units": "未达标单位", "field_applied": "生效",
        "field_label": "名称", "field_note": "说明", "field_units": "单位", "field_reads": "读取",
        "field_lowered_by": "降等原因", "field_as_of": "评估日期", "field_stage": "阶段", "field_evaluator": "评估者",
        "field_kernel_version": "内核版本", "field_sha256": "哈希", "field_edition": "版本",
    },
    "en": {
        "same": "same: no field differs", "identical": "replay {id}: identical", "different": "replay {id}: DIFFERENT ({n} field(s))",
        "failed": "replay {id}: NOT reproduced: the evaluation failed: {error}", "recorded": "recorded", "replayed": "replayed",
        "absent": "(absent)", "kernel": "kernel {version}", "kernels": "recorded under kernel {a}, replayed under {b}",
        "from_record": "standard {key} (sha256 {sha}, from the record)",
        "other": "{n} other differences in the trace (labels, parameters, sources…; --all lists them)",
        "records": "{n} records", "recorded_at": "recorded {at}", "evaluation": "evaluation", "inputs": "inputs",
        "outcome": "outcome", "vetoes": "vetoes", "gates": "gates", "indicators": "indicators", "areas": "areas",
        "section_other": "other", "grade": "grade", "score": "score", "stage": "stage", "as_of": "as of",
        "check_title": "{key}: {title}", "in_force": "in force {start} to {end}", "open": "open-ended",
        "extends": "; extends {base}", "n_indicators": "{n} indicators ({scored} scored)", "max_score": "max score {score}",
        "n_gates": "gates: {names}", "n_vetoes": "vetoes: {names}", "grades": "grades (best first): {names}",
        "statuses": "parameters by status (each under its least certain value): {counts}",
        "value_statuses": "dated values by status: {counts}",
        "earlier_format_full": "recorded in the earlier format {format} (with what each unit read): compared "
                               "with the full trace, byte for byte",
        "earlier_format": "recorded in the earlier format {format}: {sections} not compared (their meaning "
                          "changed since; the record keeps what its kernel said)",
        "earlier_format_plain": "recorded in the earlier format {format}: compared byte for byte",
        "earlier_sums": "computed again with the sums of its time (each term rounded to 28 significant digits, then "
                        "added in ascending order); today's format {current} computes every sum exactly and rounds "
                        "it once, so the last digit of a coefficient may differ",
        "skipped_gaps": "rectification list", "skipped_next_grade": "next-grade plan",
        "skipped_inputs": "the names of the standard's own inputs",
        "assumed": "assumed parameters ({n}; a result resting on one says so): {names}",
        "none": "none", "pass": "PASS", "fail": "FAIL", "error": "ERROR", "summary": "{passed} of {total} case(s) passed",
        "field_grade_by_score": "grade by score", "field_failed_units": "units not meeting it", "field_applied": "applied",
        "field_label": "label", "field_note": "note", "field_units": "units", "field_reads": "reads",
        "field_lowered_by": "lowered by", "field_as_of": "as of", "field_stage": "stage", "field_evaluator": "evaluator",
        "field_kernel_version": "kernel version", "field_sha256": "hash", "field_edition": "edition",
    },
}


#: Units as each language writes them (a standard writes them once, mostly in Chinese).
UNIT_WORDS: dict[str, dict[str, str]] = {
    "zh": {"years": "年", "year": "年"},
    "en": {"人": "persons", "元": "yuan", "册": "volumes", "是=1": "yes = 1", "达标": "met", "台/百生": "per 100 pupils",
           "人/生": "per pupil", "人/师": "per teacher", "是/否": "yes/no", "台/人": "per person", "班": "classes",
           "床": "beds", "间": "rooms", "所": "schools", "台": "sets", "年": "years", "平方米": "m²", "万元": "10,000 yuan"},
}


def unit_in(unit: str, lang: str) -> str:
    """A unit in the report's language (as written when there is no translation)."""
    return UNIT_WORDS[lang_of(lang)].get(unit, unit)


def words(table: Mapping[str, Mapping[str, str]], lang: str) -> Mapping[str, str]:
    """One language's side of a table (see :func:`lang_of`)."""
    return table[lang_of(lang)]
