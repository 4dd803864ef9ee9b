"""Every problem ``code`` this service answers with, in both languages.

One row a code: its HTTP status; its English title (the one the raising class carries) and
Chinese title; what it means; and what a client should do. A Chinese answer's ``detail`` is the
Chinese meaning and advice below, filled in with the answer's extension fields where a row names
them (``{earliest}``); an English answer's ``detail`` is the raising site's own sentence.
"""

from __future__ import annotations

# (code, status, English title, Chinese title,
#  meaning in English, meaning in Chinese, what to do in English, what to do in Chinese)
Row = tuple[int, str, str, str, str, str, str]

ROWS: dict[str, Row] = {
    # Generic families: the class a service raises when nothing more specific fits.
    "bad_request": (
        400, "Bad request", "请求有误",
        "The request cannot be handled as sent.", "请求无法按原样处理。",
        "Check the request against the API documentation.", "请对照接口文档检查请求。",
    ),
    "unauthorized": (
        401, "Authentication required", "需要登录",
        "No valid access token came with the request.", "请求没有携带有效的访问令牌。",
        "Sign in (or refresh the token) and send the access token as a Bearer token.",
        "请重新登录（或刷新令牌）后再试。",
    ),
    "forbidden": (
        403, "Not allowed", "无权操作",
        "Your role may not do this, or not on this record.",
        "您的角色无权执行此操作，或无权操作此记录。",
        "Ask a colleague with the right role, or an admin.", "请联系有相应权限的同事或管理员办理。",
    ),
    "not_found": (
        404, "Not found", "未找到",
        "There is no such record or address, or it is outside your scope.",
        "该记录或地址不存在，或不在您的管辖范围内。",
        "Check the address or the id; refresh your list.", "请核对地址或编号，并刷新列表。",
    ),
    "method_not_allowed": (
        405, "Method not allowed", "不支持该请求方式",
        "This address does not take this HTTP method.", "该地址不支持这种请求方式。",
        "Use a method the API documentation lists for this address.",
        "请改用接口文档中列出的请求方式。",
    ),
    "not_acceptable": (
        406, "Not acceptable", "无法提供所需格式",
        "The service cannot answer in a format the request accepts.",
        "服务无法以请求所接受的格式作答。",
        "Accept application/json (or the format the documentation names).",
        "请接受接口文档所列的格式。",
    ),
    "body_timeout": (
        408, "The request body came too slowly", "请求内容上传过慢",
        "The request body stopped arriving or took too long.", "请求内容中断或上传时间过长。",
        "Send the request again, on a better connection if you can.", "请在网络较好时重新提交。",
    ),
    "conflict": (
        409, "Conflict", "操作冲突",
        "The request conflicts with the record's current state.", "该请求与记录的当前状态冲突。",
        "Reload the record and try again.", "请刷新记录后重试。",
    ),
    "version_mismatch": (
        412, "The record changed since you read it", "记录已被他人修改",
        "Someone changed the record after you read it; nothing was saved.",
        "您读取之后该记录已被修改，本次未保存任何内容。",
        "Compare your changes with `current`, then send them again with the new ETag.",
        "请对照最新内容核对您的修改，然后重新提交。",
    ),
    "payload_too_large": (
        413, "Upload too large", "上传内容过大",
        "The request body or file is larger than this route takes.",
        "请求内容或文件超过了此处允许的大小。",
        "Send a smaller file (compress a photo, split a spreadsheet).",
        "请改传较小的文件（压缩照片、拆分表格）。",
    ),
    "unsupported_media_type": (
        415, "Unsupported file type", "不支持的文件类型",
        "The file or body is not of a type this route takes.", "文件或请求内容的类型不受支持。",
        "Send one of the types the documentation names.", "请改用接口文档所列的类型。",
    ),
    "encoded_body": (
        415, "Send the request body uncompressed", "请求内容不能压缩",
        "The request body came compressed (Content-Encoding); bodies are read only as they are.",
        "请求内容经过了压缩（带有 Content-Encoding），服务只接受未压缩的请求内容。",
        "Send the body again without compressing it (answers are compressed for you anyway).",
        "请不压缩请求内容重新提交（服务的响应会自动压缩）。",
    ),
    "validation_failed": (
        422, "The request is not valid", "请求内容有误",
        "One or more fields are missing or wrong; `errors` names each.",
        "有字段缺失或填写有误，详见各字段提示。",
        "Correct the fields named in `errors` and send again.", "请按各字段提示修改后重新提交。",
    ),
    "unstorable_value": (
        422, "A value cannot be stored", "有内容无法保存",
        "A value in the request cannot be stored, e.g. a NUL character in text.",
        "请求中有无法保存的内容，例如文字中夹带了不可见的控制字符。",
        "Retype the text rather than pasting it, and send again.",
        "请重新输入（不要粘贴）后再提交。",
    ),
    "if_match_required": (
        428, "Send If-Match with the ETag you read", "缺少版本标记",
        "An update must say which version of the record it changes.",
        "修改记录时必须注明所依据的版本。",
        'Read the record, and send its ETag in If-Match (e.g. "3").',
        "请先读取记录，再在 If-Match 中带上其版本标记后提交。",
    ),
    "too_many_requests": (
        429, "Too many attempts", "尝试次数过多",
        "Too many requests came in a short time.", "短时间内请求过多。",
        "Wait the seconds Retry-After names, then try again.", "请稍等片刻再试。",
    ),
    "internal_error": (
        500, "Internal error", "服务器内部错误",
        "Something went wrong on the service's side.", "服务器出现了问题，不是您的操作有误。",
        "Try again later; quote the request id when reporting it.",
        "请稍后重试；如需报告，请提供请求编号。",
    ),
    "service_unavailable": (
        503, "Temporarily unavailable", "服务暂时不可用",
        "The service cannot answer right now.", "服务暂时无法响应。",
        "Retry after the seconds Retry-After names.", "请稍后重试。",
    ),
    "database_unavailable": (
        503, "Temporarily unavailable", "服务暂时不可用",
        "The database cannot be reached or is overloaded.", "数据库暂时无法连接或负载过高。",
        "Retry after the seconds Retry-After names; nothing was changed.",
        "本次未作任何修改，请稍后重试。",
    ),
    "http_error": (
        400, "Http error", "请求无法处理",
        "The request cannot be handled (an HTTP error without its own code).", "请求无法处理。",
        "Check the request against the API documentation.", "请对照接口文档检查请求。",
    ),
    # Requests in general.
    "invalid_cursor": (
        422, "The cursor is not valid", "翻页标记无效",
        "The cursor was not issued by this list, or it is damaged.",
        "翻页标记不是本列表给出的，或已损坏。",
        "Start the list again without a cursor.", "请不带翻页标记重新加载列表。",
    ),
    "malformed_if_match": (
        412, "If-Match is not an ETag of this service", "版本标记格式不对",
        "If-Match does not hold an ETag this service issued.",
        "If-Match 中的内容不是本服务给出的版本标记。",
        'Send the ETag exactly as you read it, e.g. "3".', "请原样带上读取记录时得到的版本标记。",
    ),
    "idempotency_key_reused": (
        422, "The Idempotency-Key was used with a different request",
        "防重复提交标记已用于其他请求",
        "The Idempotency-Key was already used with a different request.",
        "这个防重复提交标记已经用于另一份不同的请求。",
        "Use a new key for a new request.", "新的请求请使用新的标记。",
    ),
    "idempotency_in_flight": (
        409, "A request with this Idempotency-Key is still being processed", "同一请求仍在处理中",
        "The first request with this key has not finished.", "使用同一标记的第一次请求尚未处理完。",
        "Wait a second and send it again; you will get its answer.",
        "请稍等一秒后重发，即可得到处理结果。",
    ),
    "range_reversed": (
        422, "The end of a range is before its start", "结束值早于开始值",
        "A range ends before it starts (dates, wages).", "范围的结束值早于开始值（如日期、工资）。",
        "Swap or correct the two values.", "请调换或更正这两个值。",
    ),
    "unknown_reference": (
        422, "The request names a record that does not exist", "引用的记录不存在",
        "A record the request names is not there, or not in your scope.",
        "请求中引用的记录不存在，或不在您的管辖范围内。",
        "Pick the record again from a fresh list.", "请从刷新后的列表中重新选择。",
    ),
    "records_do_not_match": (
        422, "The records named do not belong together", "所选记录不匹配",
        "Two records named in the request do not belong together.",
        "请求中的两条记录不属于同一人或同一事项。",
        "Pick records of the same worker.", "请选择同一劳动力名下的记录。",
    ),
    "filename_unusable": (
        422, "The file's name is unusable", "文件名无法使用",
        "The file's name has no usable characters.", "文件名中没有可用的字符。",
        "Rename the file and send it again.", "请给文件改名后重新上传。",
    ),
    # Sign-in.
    "invalid_credentials": (
        401, "Incorrect username or password", "用户名或密码错误",
        "The username or the password is wrong.", "用户名或密码不正确。",
        "Check both and try again; after several failures, wait before retrying.",
        "请核对后重试；连续失败多次后需等待一段时间。",
    ),
    "invalid_token": (
        401, "The token is not valid", "登录已失效",
        "The token is expired, malformed, or its sign-in has ended.",
        "令牌已过期、格式不对或登录已结束。",
        "Refresh the token, or sign in again.", "请刷新令牌或重新登录。",
    ),
    "refresh_token_reused": (
        401, "This refresh token was already used; the sign-in has been ended", "登录已被强制结束",
        "A refresh token was used twice, so the whole sign-in was ended for safety.",
        "同一刷新令牌被使用了两次，为安全起见本次登录已全部结束。",
        "Sign in again; if you did not use it twice, tell an admin.",
        "请重新登录；如非本人操作，请告知管理员。",
    ),
    "login_throttled": (
        429, "Too many failed sign-ins", "登录失败次数过多",
        "Too many failed sign-ins for this account or address.", "该账号或地址登录失败次数过多。",
        "Wait the seconds Retry-After names before trying again.", "请等待一段时间后再登录。",
    ),
    "weak_password": (
        422, "The password is not acceptable", "密码不符合要求",
        "The password is too short, too long or too easy to guess.",
        "密码过短、过长或太容易被猜到。",
        "Choose a longer password without your name, role or place in it.",
        "请设置更长的密码，不要包含姓名、角色或地名。",
    ),
    # Users and regions.
    "user_not_found": (
        404, "No such user", "用户不存在",
        "There is no such user (or your account no longer exists).",
        "该用户不存在（或您的账号已被删除）。",
        "Check the user id; refresh the list.", "请核对用户编号并刷新列表。",
    ),
    "username_taken": (
        409, "The username is taken", "用户名已被占用",
        "Another account has this username.", "已有账号使用了这个用户名。",
        "Choose another username.", "请换一个用户名。",
    ),
    "invalid_user_scope": (
        422, "The role and scope do not fit together", "角色与管辖范围不匹配",
        "The role needs a region or employer that was not given, or got one it cannot have.",
        "该角色需要的地区或用人单位未填写，或填写了不该有的。",
        "Give the region or employer the role needs, and nothing else.",
        "请按角色要求填写地区或用人单位。",
    ),
    "self_demotion": (
        409, "You cannot deactivate or demote yourself", "不能停用或降级自己的账号",
        "An admin cannot deactivate or demote their own account.",
        "管理员不能停用或降低自己账号的权限。",
        "Ask another admin to make the change.", "请由另一位管理员办理。",
    ),
    "region_not_found": (
        404, "No such region", "地区不存在",
        "There is no region with this code (or none yet).",
        "没有这个代码的地区（或尚未建立任何地区）。",
        "Check the division code.", "请核对行政区划代码。",
    ),
    "unknown_region": (
        422, "The region does not exist", "地区不存在",
        "A region code in the request is not a known region.", "请求中的地区代码不是已登记的地区。",
        "Pick the region from the region list.", "请从地区列表中选择。",
    ),
    "region_out_of_scope": (
        403, "The region lies outside your scope", "该地区不在您的管辖范围内",
        "The region is outside the region you are responsible for.", "该地区不在您负责的范围内。",
        "Ask an admin of that region.", "请联系该地区的管理员办理。",
    ),
    "region_not_allowed": (
        422, "The region named is not one you may register records in", "不能在该地区登记",
        "Records are registered in a village or township of your own region.",
        "记录只能登记在您管辖范围内的村或乡镇。",
        "Pick a village or township of your own region.", "请选择您管辖范围内的村或乡镇。",
    ),
    "wrong_region_level": (
        422, "The region is not of the level this needs", "地区级别不对",
        "The region is not of the level this needs (a township, or a level under its parent).",
        "所选地区的级别不符合要求（例如需要乡镇级）。",
        "Pick a region of the level named in `errors`.", "请按字段提示选择相应级别的地区。",
    ),
    "wider_scope_required": (
        403, "This needs an admin of a wider region", "需要上级管理员办理",
        "This needs an admin scoped at a higher level than yours.",
        "此操作需要更高一级地区的管理员办理。",
        "Ask an admin of the region above.", "请联系上级地区的管理员。",
    ),
    "history_needs_admin": (
        403, "History is brought in by an admin", "历史数据须由管理员导入",
        "The file carries history columns (registration day, poverty years, past jobs); only "
        "an admin may bring history in.",
        "文件含有历史数据列（建档立卡日期、识别和脱贫年份、过往就业），只有管理员可以导入历史数据。",
        "Remove the history columns, or ask an admin to import the file.",
        "请删除历史数据列，或请管理员导入此文件。",
    ),
    "field_not_editable": (
        403, "You may not change these fields", "无权修改这些字段",
        "Your role may change only some fields of this record.",
        "您的角色只能修改此记录的部分字段。",
        "Send only the fields you may change; ask the labour bureau for the rest.",
        "请只提交您可修改的字段，其余请联系人社部门。",
    ),
    # People and households.
    "worker_not_found": (
        404, "No such worker", "劳动力不存在",
        "There is no such worker in your scope.", "您的管辖范围内没有这个劳动力。",
        "Refresh your list; the record may have been removed or moved.",
        "请刷新列表，记录可能已被删除或迁出。",
    ),
    "duplicate_id_number": (
        409, "This resident ID number is already registered", "身份证号已登记",
        "Someone is already registered with this resident ID number.",
        "已有人使用这个身份证号登记。",
        "Open the existing record (existing_worker_id) instead, or ask the district office.",
        "请打开已有的记录；如不在您的范围内，请联系区县办公室。",
    ),
    "household_not_found": (
        404, "No such household", "家庭户不存在",
        "There is no such household in your scope.", "您的管辖范围内没有这个家庭户。",
        "Refresh your list.", "请刷新列表。",
    ),
    "duplicate_household_number": (
        409, "The household number is already registered", "户编号已登记",
        "Another household has this household number.", "已有家庭户使用了这个户编号。",
        "Check the number; open the existing household instead.",
        "请核对户编号，或打开已有的家庭户。",
    ),
    # Employers, vacancies, referrals, employments.
    "employer_not_found": (
        404, "No such employer", "用人单位不存在",
        "There is no such employer you may see or change.", "没有您可查看或修改的这个用人单位。",
        "Refresh your list.", "请刷新列表。",
    ),
    "duplicate_credit_code": (
        409, "This unified social credit code is already registered", "统一社会信用代码已登记",
        "Another employer has this unified social credit code.",
        "已有用人单位使用了这个统一社会信用代码。",
        "Open the existing employer instead.", "请打开已登记的用人单位。",
    ),
    "employer_not_verified": (
        403, "The employer is not verified yet", "用人单位尚未审核",
        "Vacancies are posted once the labour bureau has verified the employer.",
        "用人单位通过人社部门审核后才能发布岗位。",
        "Wait for the verification, or ask the labour bureau.", "请等待审核，或联系人社部门。",
    ),
    "vacancy_not_found": (
        404, "No such vacancy", "岗位不存在",
        "There is no such vacancy you may see.", "没有您可查看的这个岗位。",
        "Refresh your list.", "请刷新列表。",
    ),
    "openings_below_filled": (
        409, "More openings are taken than the new number", "已招人数多于新的岗位数",
        "More openings are already filled than the number you set.",
        "已录用的人数多于您设置的岗位数。",
        "Set at least the number already filled.", "岗位数不能少于已录用人数。",
    ),
    "vacancy_not_open": (
        409, "The vacancy is not open", "岗位已满或已关闭",
        "Every opening of the vacancy is taken, or it is closed.", "该岗位已招满或已关闭。",
        "Refer the worker to another vacancy.", "请推荐到其他岗位。",
    ),
    "referral_not_found": (
        404, "No such referral", "推荐记录不存在",
        "There is no such referral you may see.", "没有您可查看的这条推荐记录。",
        "Refresh your list.", "请刷新列表。",
    ),
    "duplicate_referral": (
        409, "This worker was already referred to this vacancy", "已推荐过该岗位",
        "The worker was already referred to this vacancy.", "该劳动力已被推荐到这个岗位。",
        "Open the existing referral instead.", "请查看已有的推荐记录。",
    ),
    "invalid_transition": (
        409, "The referral cannot move to that status", "推荐状态无法变更",
        "The referral is already closed or past that status.", "该推荐已结束或已过该状态。",
        "Reload the referral to see its status.", "请刷新推荐记录查看当前状态。",
    ),
    "employment_not_found": (
        404, "No such employment", "就业记录不存在",
        "There is no such employment you may see.", "没有您可查看的这条就业记录。",
        "Refresh your list.", "请刷新列表。",
    ),
    "employment_ended": (
        409, "The employment has already ended", "就业已结束",
        "The employment has already ended.", "该就业记录已经结束。",
        "Record a new employment if the worker started again.",
        "如劳动力重新就业，请新建就业记录。",
    ),
    "follow_up_not_found": (
        404, "No such follow-up", "回访记录不存在",
        "There is no such follow-up in your scope.", "您的管辖范围内没有这条回访记录。",
        "Refresh your agenda.", "请刷新待办事项。",
    ),
    "follow_up_not_due": (
        409, "The follow-up was already recorded or cancelled", "回访已记录或已取消",
        "The follow-up was already recorded or cancelled.", "该回访已经记录过或已取消。",
        "Refresh your agenda.", "请刷新待办事项。",
    ),
    "event_not_found": (
        404, "No such recruitment event", "招聘活动不存在",
        "There is no such recruitment event.", "没有这个招聘活动。",
        "Refresh your list.", "请刷新列表。",
    ),
    # The assigned list.
    "assignment_not_found": (
        404, "No such assignment", "下达名单中没有这条记录",
        "There is no such entry on an assigned list in your scope.",
        "您的管辖范围内的下达名单中没有这条记录。",
        "Refresh the list.", "请刷新名单。",
    ),
    "assigned_list_changed": (
        409, "The list changed while it was being recorded", "名单在录入时已被改动",
        "Another list was recorded for some of these labourers at the same moment.",
        "同一时刻有人为其中部分劳动力录入了名单。",
        "Send the list again: lines already on it say so.",
        "请重新提交名单，已在名单上的会标明“已下达”。",
    ),
    "target_not_found": (
        404, "No such target", "目标任务不存在",
        "There is no such target.", "没有这个目标任务。",
        "Refresh your list.", "请刷新列表。",
    ),
    "duplicate_target": (
        409, "A target for this region, year and metric exists", "该目标任务已存在",
        "This region already has a target of this metric for the year.",
        "该地区当年已有这一指标的目标任务。",
        "Change the existing target instead.", "请修改已有的目标任务。",
    ),
    # Training.
    "course_not_found": (
        404, "No such course", "培训课程不存在",
        "There is no such course.", "没有这个培训课程。",
        "Refresh your list.", "请刷新列表。",
    ),
    "session_not_found": (
        404, "No such training session", "培训班不存在",
        "There is no such training session.", "没有这个培训班。",
        "Refresh your list.", "请刷新列表。",
    ),
    "session_closed": (
        409, "The session is finished or cancelled", "培训班已结束或已取消",
        "The training session is finished or cancelled.", "该培训班已结束或已取消。",
        "Pick an open session.", "请选择正在招生的培训班。",
    ),
    "capacity_below_enrolled": (
        409, "More seats are taken than the new capacity", "已报名人数多于新名额",
        "More people are enrolled than the capacity you set.", "已报名的人数多于您设置的名额。",
        "Set at least the number already enrolled.", "名额不能少于已报名人数。",
    ),
    "invalid_session_transition": (
        409, "The session cannot move to that status", "培训班状态无法变更",
        "The session cannot move from its status to that one.",
        "培训班无法从当前状态变更为所选状态。",
        "Reload the session to see its status.", "请刷新培训班查看当前状态。",
    ),
    "enrolment_not_found": (
        404, "No such enrolment", "报名记录不存在",
        "There is no such enrolment in your scope.", "您的管辖范围内没有这条报名记录。",
        "Refresh your list.", "请刷新列表。",
    ),
    "session_full": (
        409, "Every seat of this session is taken", "培训班名额已满",
        "Every seat of the session is taken.", "该培训班名额已满。",
        "Pick another session, or ask for more seats.", "请选择其他培训班，或申请增加名额。",
    ),
    "already_in_training": (
        409, "The worker is already enrolled in a session", "已在参加培训",
        "The worker is already enrolled in a training session.", "该劳动力已报名了一个培训班。",
        "Finish or drop the current enrolment first.", "请先结业或退出当前培训。",
    ),
    "duplicate_certificate": (
        409, "This certificate number is already used in this session", "证书编号已被使用",
        "Another completion already has this certificate number.",
        "已有结业记录使用了这个证书编号。",
        "Check the number on the certificate.", "请核对证书上的编号。",
    ),
    "enrolment_not_active": (
        409, "The enrolment is not active", "报名已结束",
        "The enrolment is already completed or dropped.", "该报名已结业或已退出。",
        "Refresh the enrolment to see its status.", "请刷新查看报名的当前状态。",
    ),
    "date_outside_session": (
        422, "The day lies outside the training session", "日期不在培训期间内",
        "The day lies outside the session, from {earliest} to {latest}.",
        "所填日期不在培训期间（{earliest} 至 {latest}）内。",
        "Enter a day within the session.", "请填写培训期间内的日期。",
    ),
    # Dates.
    "date_before_history": (
        422, "The date is earlier than the record's history allows", "日期早于记录的历史",
        "The date is earlier than the record's history allows (the earliest is {earliest}).",
        "所填日期早于记录的历史，最早可填 {earliest}。",
        "Correct the date; an admin backfills older history.",
        "请更正日期；更早的历史请由管理员补录。",
    ),
    "date_in_future": (
        422, "The date is later than allowed", "日期晚于允许的时间",
        "The date is later than allowed (the latest is {latest}).",
        "所填日期晚于允许的时间，最晚可填 {latest}。",
        "Correct the date.", "请更正日期。",
    ),
    "event_not_yet_held": (
        422, "The recruitment event has not been held yet", "招聘活动尚未举办",
        "The recruitment event is held on {earliest}; nothing can have come of it yet.",
        "该招聘活动于 {earliest} 举办，目前还不会有结果。",
        "Record this after the event.", "请在活动举办后再记录。",
    ),
    # Subsidies and claims.
    "policy_not_found": (
        404, "No such subsidy policy", "补贴政策不存在",
        "There is no such subsidy policy.", "没有这项补贴政策。",
        "Refresh the policy list.", "请刷新政策列表。",
    ),
    "duplicate_policy_code": (
        409, "A policy with this code exists", "政策代码已存在",
        "Another policy has this code.", "已有政策使用了这个代码。",
        "Choose another code.", "请换一个代码。",
    ),
    "one_off_units": (
        422, "A one-off subsidy is paid once", "一次性补贴只能发放一次",
        "A one-off subsidy has max_units 1.", "一次性补贴的最多份数只能为 1。",
        "Set max_units to 1, or choose another unit.", "请将最多份数设为 1，或改选其他单位。",
    ),
    "claim_not_found": (
        404, "No such claim", "补贴申请不存在",
        "There is no such claim you may see.", "没有您可查看的这份补贴申请。",
        "Refresh your list.", "请刷新列表。",
    ),
    "duplicate_claim": (
        409, "This worker, policy and period are already claimed", "该期间已申请过",
        "The worker already has a claim under this policy for these periods.",
        "该劳动力在这些期间已申请过这项补贴。",
        "Claim other periods only; see `periods`.", "请只申请尚未申请过的期间。",
    ),
    "claim_ineligible": (
        422, "The claim does not meet the policy's conditions", "不符合补贴条件",
        "The claim does not meet the policy's conditions; `reasons` names each.",
        "该申请不符合政策条件，未满足的条件见原因列表。",
        "Correct the records the reasons name, or choose another policy.",
        "请根据原因补齐记录，或改选其他政策。",
    ),
    "employment_required": (
        422, "An employer's claim names its employment", "需要注明就业记录",
        "A claim the employer files names the employment it is for.",
        "用人单位提交的申请必须注明对应的就业记录。",
        "Pick the employment.", "请选择对应的就业记录。",
    ),
    "invalid_claim_transition": (
        409, "The claim is not in a state that allows this", "申请当前状态不允许此操作",
        "The claim is not in a status that allows this step.",
        "补贴申请当前的状态不允许这一步操作。",
        "Reload the claim to see its status.", "请刷新申请查看当前状态。",
    ),
    "notice_period_running": (
        409, "The claim is still in public notice", "申请仍在公示期内",
        "The claim is paid once its public notice ends.", "公示期结束后才能发放。",
        "Pay it after the notice ends.", "请在公示期结束后再发放。",
    ),
    "maker_checker": (
        403, "Nobody reviews or pays a claim they filed", "不能审核本人提交的申请",
        "You filed this claim; another admin must review it.",
        "这份申请是您提交的，须由另一位管理员审核。",
        "Ask another admin.", "请交由另一位管理员办理。",
    ),
    "same_reviewer": (
        403, "Each review stage needs a different person", "每一级审核须由不同的人办理",
        "You approved an earlier stage of this claim.", "您已审核过这份申请的上一级。",
        "Ask another admin to approve this stage.", "请交由另一位管理员审核这一级。",
    ),
    "evidence_frozen": (
        409, "The claim's evidence is frozen", "申请材料已锁定",
        "Evidence is added while a claim is a draft or returned.",
        "只有草稿或退回的申请可以添加材料。",
        "Ask for the claim to be returned first.", "请先申请退回后再补充材料。",
    ),
    "attachment_not_found": (
        404, "No such attachment", "附件不存在",
        "There is no such attachment of this claim.", "这份申请没有这个附件。",
        "Refresh the claim.", "请刷新申请。",
    ),
    "unsupported_attachment": (
        415, "Attachments are images (PNG, JPEG, WebP) or PDF", "附件须为图片或 PDF",
        "The file is not a PNG, JPEG or WebP image or a PDF (checked by its content).",
        "文件不是图片（PNG、JPEG、WebP）或 PDF（按文件内容判断）。",
        "Take a photo or scan the paper as PDF.", "请拍照或扫描为 PDF 后上传。",
    ),
    # Photos kept on visits, households and workers.
    "photo_not_found": (
        404, "No such photo", "照片不存在",
        "There is no such photo in your scope, or it was removed.",
        "您的管辖范围内没有这张照片，或它已被删除。",
        "Sync again to receive the removal.", "请重新同步以获取删除记录。",
    ),
    "visit_not_found": (
        404, "No such visit", "走访记录不存在",
        "There is no such visit in your scope.", "您的管辖范围内没有这条走访记录。",
        "Sync your visits again; the visit may have been removed.",
        "请重新同步走访记录，该记录可能已被删除。",
    ),
    "unsupported_photo": (
        415, "Photos are images (PNG, JPEG, WebP); a kept document may also be PDF",
        "照片须为图片，留存的证件材料也可为 PDF",
        "The file is not a PNG, JPEG or WebP image (checked by its content); a household's or "
        "worker's documents may also be PDF, a visit's photos may not.",
        "文件不是 PNG、JPEG 或 WebP 图片（按文件内容判断）；家庭户和劳动力的证件材料也可为 PDF，"
        "走访照片不可以。",
        "Take a photo, or keep the scanned PDF on the household or worker.",
        "请拍照上传，或将扫描的 PDF 留存到家庭户或劳动力名下。",
    ),
    # Bulk import.
    "not_a_spreadsheet": (
        415, "The file is not a CSV or XLSX spreadsheet", "文件不是 CSV 或 XLSX 表格",
        "The file is neither CSV (UTF-8 or GB18030) nor XLSX.",
        "文件既不是 CSV（UTF-8 或 GB18030 编码）也不是 XLSX。",
        "Save the registry as XLSX or CSV and upload it again.",
        "请另存为 XLSX 或 CSV 后重新上传。",
    ),
    "spreadsheet_too_large": (
        413, "The workbook unpacks to more than the limits allow", "表格解压后超出限制",
        "The workbook holds more than the import limits allow once unpacked.",
        "表格解压后的内容超过了导入限制。",
        "Split the workbook, or save it again without extra sheets or styles.",
        "请拆分表格，或去掉多余的工作表和格式后重新保存。",
    ),
    "too_many_rows": (
        422, "The file has more rows than one import takes", "表格行数过多",
        "The file has more than {max_rows} rows under its header.",
        "表头下的行数超过了 {max_rows} 行。",
        "Split the file, or delete the empty rows below the data.",
        "请拆分文件，或删除数据下方的空行。",
    ),
    "too_many_columns": (
        422, "A row has more cells than the limit", "表格列数过多",
        "A row reaches past column {max_columns}.", "有一行超过了第 {max_columns} 列。",
        "Delete the extra columns.", "请删除多余的列。",
    ),
    "cell_too_large": (
        422, "A cell holds more text than the limit", "单元格内容过长",
        "A cell holds more than {max_cell_chars} characters.",
        "有单元格超过了 {max_cell_chars} 个字符。",
        "Shorten the cell.", "请缩短该单元格的内容。",
    ),
    "row_too_large": (
        422, "A line is longer than any row within the limits", "有一行内容过长",
        "A line of the file is longer than any row within the limits could be.",
        "文件中有一行超过了限制内任何一行可能的长度。",
        "Check the file for a broken quote, or split it.", "请检查是否有引号未闭合，或拆分文件。",
    ),
    "empty_file": (
        422, "The file is empty", "文件为空",
        "The file has no header row.", "文件没有表头行。",
        "Export the registry again with its header.", "请重新导出带表头的名册。",
    ),
    "missing_columns": (
        422, "The header lacks required columns", "表头缺少必需的列",
        "The header lacks required columns; `errors` names each.",
        "表头缺少必需的列，详见各字段提示。",
        "Add the columns, with the names the import format gives.", "请按导入格式补齐这些列。",
    ),
    # Audit.
    "invalid_checkpoint": (
        422, "Not a checkpoint this service signed", "不是本服务签发的检查点",
        "The checkpoint was not signed by this service, or it was altered.",
        "该检查点不是本服务签发的，或已被改动。",
        "Use a checkpoint exactly as the service issued it.", "请使用本服务签发的原始检查点。",
    ),
}  # fmt: skip
