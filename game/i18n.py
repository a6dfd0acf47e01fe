"""Every word the player reads, in Korean (default) and English.

Screens never hold literal text: they ask ``text(lang, key, **values)`` so a
language switch changes the whole game at once.
"""
from __future__ import annotations

import numpy as np

from model.labels import EMOTIONS, HAPPY, NEUTRAL, DISGUST

from game.types import Analysis, Judgement

LANGUAGES = ("ko", "en")

# Display order of the emotion bars (the design's mock-up: neutral first, then FER2013 order).
EMOTION_DISPLAY_ORDER: tuple[int, ...] = (NEUTRAL,) + tuple(i for i in range(len(EMOTIONS)) if i != NEUTRAL)

EMOTION_NAMES: dict[str, dict[str, str]] = {
    "ko": {"angry": "분노", "disgust": "혐오", "fear": "공포", "happy": "행복",
           "sad": "슬픔", "surprise": "놀람", "neutral": "중립"},
    "en": {"angry": "Anger", "disgust": "Disgust", "fear": "Fear", "happy": "Happy",
           "sad": "Sad", "surprise": "Surprise", "neutral": "Neutral"},
}

STRINGS: dict[str, dict[str, str]] = {
    "ko": {
        "game_title": "웃음 참기 게임",
        "tagline": "웃으면 지는 거예요. 끝까지 참아 보세요!",
        "gauge_title": "판정 게이지 (Head 1: Smile Detection)",
        "gauge_inactive": "비활성: 행복하지 않음 (행복 {happy}%)",
        "threshold": "임계값",
        "emotion_title": "감정 상태 (Head 2: Emotion)",
        "analysis": "분석:",
        "mode_simple": "단순 모드",
        "mode_two_stage": "2단계 검증",
        "verdict_OUT": "OUT!!!",
        "verdict_SAFE": "SAFE",
        "verdict_NO_FACE": "얼굴 없음",
        "stats": "FPS {fps:.0f} · 추론 {infer:.0f}/s · 처리 {process:.0f} ms · 지연 {latency:.0f} ms",
        "menu_solo": "1인 플레이",
        "menu_faceoff": "2인 대결",
        "menu_practice": "연습 모드",
        "menu_quit": "종료",
        "menu_hint": "Enter: 시작 · 1/2: 인원 · H: 도움말",
        "players_n": "{n}인",
        "watch_none": "볼 영상: 없음 (파일이나 폴더를 창에 끌어다 놓으세요)",
        "watch_some": "볼 영상: {name} ({count}개)",
        "save_on": "웃는 순간 저장: 켜짐",
        "save_off": "웃는 순간 저장: 꺼짐 (S)",
        "calib_title": "보정 중: 무표정을 유지하세요",
        "calib_sub": "평소 표정을 기준으로 삼아요. {left:.1f}초 남음",
        "calib_done": "기준값 {values}",
        "calib_refused": "무표정이 아니에요 ({values}). 표정을 풀어 주세요: 다시 측정합니다",
        "calib_missing": "{players} 얼굴이 보이지 않아요. 모두 카메라 안으로 들어와 주세요 · Esc: 처음으로",
        "calib_no_face": "얼굴이 보이지 않아요! 카메라 안으로 들어와 주세요 · Esc: 처음으로",
        "verdict_ready": "준비",
        "hold_go": "웃음을 멈추면 시작해요",
        "no_face_prompt_player": "{players} 얼굴이 보이지 않아요! 화면으로 돌아오세요 ({left:.0f}초)",
        "countdown_go": "시작!",
        "timer": "{elapsed:.1f} / {total:.0f}초",
        "practice_timer": "연습 {elapsed:.1f}초",
        "practice_hint": "연습 모드: 판정만 보여 주고 라운드는 끝나지 않아요 · Esc: 처음으로",
        "play_hint": "P: 일시정지 · -/+: 임계값 · H: 도움말",
        "play_hint_best": "최고 기록 {best} · P: 일시정지 · H: 도움말",
        "seconds": "{value:.1f}초",
        "gauge_short": "판정 게이지",
        "emotion_short": "감정 상태",
        "rank_entered": "{rank}위 기록!",
        "rank_plain": "{rank}위",
        "scores_round": "{seconds:g}초 라운드",
        "col_result": "결과", "score_won": "완주", "score_laughed": "웃음",
        "result_not_ranked": "실격한 판은 기록하지 않아요",
        "col_rank": "순위", "col_time": "버틴 시간", "col_peak": "최고 웃음", "col_threshold": "임계값",
        "col_date": "날짜",
        "result_win": "승리", "result_lose": "패배", "result_tie": "무승부",
        "no_face_hold": "얼굴이 보이지 않아요! 화면으로 돌아오세요",
        "no_face_prompt": "얼굴이 보이지 않아요! 화면으로 돌아오세요 ({left:.0f}초)",
        "stale_prompt": "카메라 신호를 기다리는 중…",
        "paused": "일시정지",
        "paused_hint": "P: 계속하기",
        "laugh_title": "웃었다!",
        "laugh_peak": "최고 웃음 {peak:.2f}",
        "laugh_time": "{seconds:.1f}초 버팀",
        "laugh_saved": "저장됨: {path}",
        "laugh_save_failed": "저장 실패: {error}",
        "laugh_private": "이 장면은 저장되지 않아요 (G: GIF로 저장 · S: 웃는 순간 자동 저장)",
        "replay_caption": "느린 화면 ×{speed:g} · {at:.1f}초",
        "replay_hint": "G: GIF로 저장 · Enter: 계속",
        "replay_saved": "GIF 저장됨: {path}",
        "curve_caption": "웃음 곡선 0–{seconds:.1f}초 · 점선: 임계값 · 띠: 가장 큰 감정",
        "continue_hint": "Enter: 계속",
        "result_laughed": "웃음 참기 실패!",
        "result_survived": "성공! 끝까지 참았어요",
        "result_hid": "숨으면 안 돼요! 실격",
        "result_winner": "P{n} 승리!",
        "result_draw": "무승부!",
        "result_detail": "버틴 시간 {seconds:.1f}초 · 최고 웃음 {peak:.2f}",
        "new_record": "새 기록!",
        "scores_title": "최고 기록",
        "scores_empty": "아직 기록이 없어요",
        "results_hint": "Enter: 다시 · C: 다시 보정 · Esc: 처음으로",
        "player": "P{n}",
        "help_title": "조작법",
        "help_close": "아무 키나 누르면 닫힙니다",
        "key_threshold": "임계값 ±0.05 (슬라이더 끌기도 가능)",
        "key_two_stage": "2단계 검증 켜기/끄기",
        "key_pause": "일시정지",
        "key_fullscreen": "전체 화면",
        "key_language": "한국어 / English",
        "key_stats": "FPS·지연 표시",
        "key_save": "웃는 순간 사진 저장 켜기/끄기",
        "key_watch": "볼 영상 표시/숨기기 (창에 끌어다 놓아 열기)",
        "key_sound": "소리 켜기/끄기",
        "key_recalibrate": "다시 보정 (결과 화면에서)",
        "key_help": "도움말",
        "key_start": "시작 / 계속",
        "key_back": "처음 화면으로",
        "key_quit": "종료",
        "toast_threshold": "임계값 {value:.2f}",
        "toast_two_stage_on": "2단계 검증 켜짐",
        "toast_two_stage_off": "2단계 검증 꺼짐 (단순 모드)",
        "toast_save_on": "웃는 순간 저장 켜짐: {path}",
        "toast_save_off": "웃는 순간 저장 꺼짐",
        "toast_sound_on": "소리 켜짐",
        "toast_file_problem": "{file} 파일에 문제가 있어 기본값을 씁니다 (자세한 내용은 터미널 기록)",
        "toast_sound_off": "소리 꺼짐",
        "toast_watch": "볼 영상: {name}",
        "toast_watch_error": "영상을 열 수 없어요: {error}",
        "camera_lost": "카메라 연결이 끊겼어요. 다시 연결하는 중…",
        "nosrc_camera_title": "카메라를 찾을 수 없어요",
        "nosrc_camera_body": "카메라가 연결되어 있는지, 다른 프로그램이 쓰고 있지 않은지 확인해 주세요.",
        "nosrc_file_title": "영상을 열 수 없어요",
        "nosrc_file_body": "다른 영상 파일을 골라 주세요.",
        "nosrc_retry": "다시 시도 (Enter)",
        "nosrc_file": "영상 파일로 플레이 (O)",
        "nosrc_hint": "영상 파일을 창에 끌어다 놓아도 돼요 · Esc: 종료",
        "nosrc_no_dialog": "파일 선택 창을 열 수 없어요: 영상 파일을 창에 끌어다 놓으세요",
        "err_title": "영상 처리 중 오류가 났어요",
        "err_body": "다시 시도하면 처음부터 다시 처리합니다.",
        "err_log": "자세한 내용(트레이스백)을 저장했어요: {path}",
        "err_no_log": "오류 기록을 저장하지 못했어요 (터미널 출력을 확인하세요)",
        "err_retry": "다시 시도 (Enter)",
        "err_quit": "종료 (Esc)",
        "err_hint": "←/→: 선택 · R: 다시 시도 · Esc: 종료",
        # the recording mode (game/ui/recording_screen.py)
        "menu_record": "표정 녹화 (학습용)",
        "rec_consent_title": "녹화 동의 · Recording consent",
        "rec_consent": (
            "녹화 동의 (플레이어 ID: {player})\n"
            "저장되는 것: 얼굴 부분만 잘라 낸 사진입니다(가로세로 {size}픽셀 PNG, 카메라 화면 전체는 저장하지 않음). "
            "표정 {prompts}가지마다 약 {seconds:g}초짜리 짧은 클립 {clips}개, 각 클립의 라벨(웃음 강도, 감정), "
            "플레이어 ID, 그리고 녹화 시각과 동의 시각을 적은 세션 파일(session.json)이 저장됩니다.\n"
            "저장 위치: {out} (이 컴퓨터에만 저장되며 어디로도 전송되지 않습니다).\n"
            "용도: 웃음 감지 모델을 한국인 얼굴에 맞게 미세 조정(fine-tuning)하는 학습 데이터로만 쓰입니다.\n"
            "삭제: 언제든지 'python -m game.record delete --player {player} --out {out}' 명령으로 "
            "이 플레이어의 모든 클립과 목록 행을 지울 수 있습니다.\n"
            "동의하지 않으면 아무것도 저장되지 않습니다."),
        "rec_player_id": "플레이어 ID",
        "rec_agree": "[Enter] 동의하고 녹화 시작",
        "rec_decline": "[Esc] 동의하지 않음",
        "rec_bad_id": "ID는 글자(한글 가능)·숫자·_ - 로 1~64자, 글자나 숫자로 시작해야 합니다.",
        "rec_recording": "녹화 중 · 플레이어 {player}",
        "rec_prompt_n": "표정 {i}/{n}",
        "rec_label": "라벨: 웃음 {smile:g} · 감정 {emotion}",
        "rec_get_ready": "준비하세요",
        "rec_clip_n": "클립 {k}/{n} 녹화 중",
        "rec_progress": "저장된 클립 {done}/{total}",
        "rec_no_face": "얼굴이 보이지 않습니다. 카메라를 바라봐 주세요.",
        "rec_stop_hint": "[Esc] 그만하기 (완료된 클립은 저장됩니다)",
        "rec_done_title": "녹화 완료",
        "rec_stopped_title": "녹화 중단",
        "rec_saved": "클립 {n}개를 저장했습니다: {folder}",
        "rec_nothing": "저장된 클립이 없습니다.",
        "rec_delete_hint": "삭제: python -m game.record delete --player {player} --out {out}",
        "rec_back": "[Enter] 돌아가기",
        "rec_write_error": "저장 실패: {error}",
    },
    "en": {
        "game_title": "Try Not to Laugh",
        "tagline": "Laugh and you lose. Keep a straight face!",
        "gauge_title": "Verdict gauge (Head 1: Smile Detection)",
        "gauge_inactive": "Inactive: not happy (happy {happy}%)",
        "threshold": "Threshold",
        "emotion_title": "Emotional state (Head 2: Emotion)",
        "analysis": "Analysis:",
        "mode_simple": "Simple mode",
        "mode_two_stage": "Two-stage check",
        "verdict_OUT": "OUT!!!",
        "verdict_SAFE": "SAFE",
        "verdict_NO_FACE": "NO FACE",
        "stats": "FPS {fps:.0f} · infer {infer:.0f}/s · process {process:.0f} ms · latency {latency:.0f} ms",
        "menu_solo": "1 player",
        "menu_faceoff": "2-player face-off",
        "menu_practice": "Practice",
        "menu_quit": "Quit",
        "menu_hint": "Enter: start · 1/2: players · H: help",
        "players_n": "{n}P",
        "watch_none": "Watch: none (drop a video file or folder on the window)",
        "watch_some": "Watch: {name} ({count} clips)",
        "save_on": "Save laugh moment: on",
        "save_off": "Save laugh moment: off (S)",
        "calib_title": "Calibrating: keep a neutral face",
        "calib_sub": "Your resting face becomes the baseline. {left:.1f} s left",
        "calib_done": "Baseline {values}",
        "calib_refused": "That was not a calm face ({values}). Relax your face: measuring again",
        "calib_missing": "{players} not in view. Everyone into the camera, please · Esc: title",
        "calib_no_face": "Face not found! Come into the camera's view · Esc: title",
        "verdict_ready": "READY",
        "hold_go": "Straight face to start",
        "no_face_prompt_player": "{players} not in view! Come back ({left:.0f} s)",
        "countdown_go": "GO!",
        "timer": "{elapsed:.1f} / {total:.0f} s",
        "practice_timer": "Practice {elapsed:.1f} s",
        "practice_hint": "Practice: verdicts are shown, the round never ends · Esc: title",
        "play_hint": "P: pause · -/+: threshold · H: help",
        "play_hint_best": "Best {best} · P: pause · H: help",
        "seconds": "{value:.1f} s",
        "gauge_short": "Smile gauge",
        "emotion_short": "Emotions",
        "rank_entered": "Rank #{rank}!",
        "rank_plain": "#{rank}",
        "scores_round": "{seconds:g} s rounds",
        "col_result": "Result", "score_won": "Won", "score_laughed": "Laughed",
        "result_not_ranked": "Disqualified rounds are not ranked",
        "col_rank": "#", "col_time": "Survived", "col_peak": "Peak smile", "col_threshold": "Threshold",
        "col_date": "Date",
        "result_win": "Win", "result_lose": "Lose", "result_tie": "Draw",
        "no_face_hold": "Face not found! Come back into view",
        "no_face_prompt": "Face not found! Come back into view ({left:.0f} s)",
        "stale_prompt": "Waiting for the camera…",
        "paused": "Paused",
        "paused_hint": "P: resume",
        "laugh_title": "You laughed!",
        "laugh_peak": "Peak smile {peak:.2f}",
        "laugh_time": "Survived {seconds:.1f} s",
        "laugh_saved": "Saved: {path}",
        "laugh_save_failed": "Could not save: {error}",
        "laugh_private": "This replay is not saved (G: save it as a GIF · S: save laugh moments)",
        "replay_caption": "Slow motion ×{speed:g} · {at:.1f} s",
        "replay_hint": "G: save as GIF · Enter: continue",
        "replay_saved": "GIF saved: {path}",
        "curve_caption": "Smile curve 0–{seconds:.1f} s · dashed: threshold · band: top emotion",
        "continue_hint": "Enter: continue",
        "result_laughed": "You laughed!",
        "result_survived": "You made it! Straight face to the end",
        "result_hid": "No hiding! Disqualified",
        "result_winner": "Player {n} wins!",
        "result_draw": "Draw!",
        "result_detail": "Survived {seconds:.1f} s · peak smile {peak:.2f}",
        "new_record": "New record!",
        "scores_title": "High scores",
        "scores_empty": "No scores yet",
        "results_hint": "Enter: again · C: recalibrate · Esc: title",
        "player": "P{n}",
        "help_title": "Controls",
        "help_close": "Press any key to close",
        "key_threshold": "Threshold ±0.05 (or drag the slider)",
        "key_two_stage": "Two-stage check on/off",
        "key_pause": "Pause",
        "key_fullscreen": "Fullscreen",
        "key_language": "한국어 / English",
        "key_stats": "FPS / latency readout",
        "key_save": "Save laugh-moment pictures on/off",
        "key_watch": "Show/hide the watch video (drop a file on the window)",
        "key_sound": "Sound on/off",
        "key_recalibrate": "Calibrate again (on the results)",
        "key_help": "Help",
        "key_start": "Start / continue",
        "key_back": "Back to the title",
        "key_quit": "Quit",
        "toast_threshold": "Threshold {value:.2f}",
        "toast_two_stage_on": "Two-stage check on",
        "toast_two_stage_off": "Two-stage check off (simple mode)",
        "toast_save_on": "Laugh moments are saved to {path}",
        "toast_save_off": "Laugh moments are not saved",
        "toast_sound_on": "Sound on",
        "toast_file_problem": "{file} has a problem: defaults are used (details in the terminal log)",
        "toast_sound_off": "Sound off",
        "toast_watch": "Watching: {name}",
        "toast_watch_error": "Cannot open the video: {error}",
        "camera_lost": "The camera was lost. Reconnecting…",
        "nosrc_camera_title": "No camera found",
        "nosrc_camera_body": "Check that it is plugged in and not in use by another program.",
        "nosrc_file_title": "Cannot open the video",
        "nosrc_file_body": "Please choose another video file.",
        "nosrc_retry": "Try again (Enter)",
        "nosrc_file": "Play a video file instead (O)",
        "nosrc_hint": "Or drop a video file on the window · Esc: quit",
        "nosrc_no_dialog": "No file chooser here: drop a video file on the window",
        "err_title": "Processing the video failed",
        "err_body": "Try again to restart the processing.",
        "err_log": "The details (traceback) were saved to {path}",
        "err_no_log": "The error log could not be saved (see the terminal output)",
        "err_retry": "Try again (Enter)",
        "err_quit": "Quit (Esc)",
        "err_hint": "←/→: choose · R: try again · Esc: quit",
        # the recording mode (game/ui/recording_screen.py)
        "menu_record": "Record expressions (training)",
        "rec_consent_title": "Recording consent · 녹화 동의",
        "rec_consent": (
            "Recording consent (player ID: {player})\n"
            "What is saved: pictures of your face only, cut out of the camera image ({size}x{size} pixel PNG; "
            "the whole camera picture is never saved). For each of {prompts} expressions, {clips} short clips "
            "of about {seconds:g} s, each clip's labels (smile intensity, emotion), your player ID, and a "
            "session file (session.json) with the recording times and the time you consented.\n"
            "Where: {out} (on this computer only; nothing is sent anywhere).\n"
            "What for: only as training data to fine-tune the smile model to Korean faces.\n"
            "Deleting: at any time, 'python -m game.record delete --player {player} --out {out}' removes "
            "all of this player's clips and their manifest rows.\n"
            "Without your consent nothing is saved."),
        "rec_player_id": "Player ID",
        "rec_agree": "[Enter] Agree and record",
        "rec_decline": "[Esc] Decline",
        "rec_bad_id": "The ID takes 1-64 letters (Hangul too), digits, _ or -, and starts with a letter or digit.",
        "rec_recording": "Recording · player {player}",
        "rec_prompt_n": "Expression {i}/{n}",
        "rec_label": "Label: smile {smile:g} · emotion {emotion}",
        "rec_get_ready": "Get ready",
        "rec_clip_n": "Recording clip {k}/{n}",
        "rec_progress": "Clips saved {done}/{total}",
        "rec_no_face": "No face in view. Please look at the camera.",
        "rec_stop_hint": "[Esc] Stop (finished clips are kept)",
        "rec_done_title": "Recording finished",
        "rec_stopped_title": "Recording stopped",
        "rec_saved": "Saved {n} clip(s) to {folder}",
        "rec_nothing": "No clip was saved.",
        "rec_delete_hint": "Delete: python -m game.record delete --player {player} --out {out}",
        "rec_back": "[Enter] Back",
        "rec_write_error": "Could not save: {error}",
    },
}

# The reading of both heads, as a headline and the two numbers behind it.
_ANALYSIS: dict[str, dict[Analysis, tuple[str, str]]] = {
    "ko": {
        Analysis.GENUINE: ("진심으로 웃고 있습니다!", "(행복 {happy}% + 웃음 {smile}% = 감정 표정 일치)"),
        Analysis.FORCED: ("억지 웃음이네요!", "(중립 {neutral}% + 웃음 {smile}% = 표정만 웃는 중)"),
        Analysis.HOLDING_BACK: ("웃음을 참고 있군요!", "(행복 {happy}% + 웃음 {smile}% = 속으로 웃는 중)"),
        Analysis.SNEER: ("비웃고 있나요?", "(혐오 {disgust}% + 웃음 {smile}% = 비웃음)"),
        Analysis.CALM: ("평온한 표정입니다.", "({top} {top_pct}% · 웃음 {smile}%)"),
        Analysis.NO_FACE: ("얼굴을 찾고 있어요…", ""),
    },
    "en": {
        Analysis.GENUINE: ("A genuine laugh!", "(happy {happy}% + smile {smile}% = emotion and face agree)"),
        Analysis.FORCED: ("A forced smile!", "(neutral {neutral}% + smile {smile}% = only the face smiles)"),
        Analysis.HOLDING_BACK: ("Holding back a laugh!", "(happy {happy}% + smile {smile}% = laughing inside)"),
        Analysis.SNEER: ("Is that a sneer?", "(disgust {disgust}% + smile {smile}% = smiling with disgust)"),
        Analysis.CALM: ("A calm face.", "({top} {top_pct}% · smile {smile}%)"),
        Analysis.NO_FACE: ("Looking for a face…", ""),
    },
}


# A face that is not smiling but shows another emotion most: named, not called calm.
_DOMINANT: dict[str, dict[str, str]] = {
    "ko": {"angry": "화가 난 표정이에요.", "disgust": "불쾌한 표정이에요.", "fear": "겁먹은 표정이에요.",
           "sad": "슬픈 표정이에요.", "surprise": "놀란 표정이에요."},
    "en": {"angry": "An angry face.", "disgust": "A look of disgust.", "fear": "A frightened face.",
           "sad": "A sad face.", "surprise": "A surprised face."},
}


def text(lang: str, key: str, **values) -> str:
    """The string ``key`` in ``lang`` (Korean when the language is unknown)."""
    table = STRINGS.get(lang, STRINGS["ko"])
    return table[key].format(**values) if values else table[key]


def emotion_name(lang: str, index: int) -> str:
    return EMOTION_NAMES.get(lang, EMOTION_NAMES["ko"])[EMOTIONS[index]]


def analysis_lines(lang: str, judgement: Judgement) -> tuple[str, str]:
    """(headline, numbers) for the judgement's Analysis, e.g. ('진심으로 웃고 있습니다!',
    '(행복 88% + 웃음 82% = 감정 표정 일치)')."""
    headline, detail = _ANALYSIS.get(lang, _ANALYSIS["ko"])[judgement.analysis]
    probs = np.asarray(judgement.emotion_probs, dtype=float)
    top = int(np.argmax(probs)) if probs.size else NEUTRAL

    def pct(p: float) -> int:
        return int(round(100 * p))

    if judgement.analysis is Analysis.CALM and EMOTIONS[top] in _DOMINANT["en"]:
        headline = _DOMINANT.get(lang, _DOMINANT["ko"])[EMOTIONS[top]]

    return headline, detail.format(
        smile=pct(judgement.smile_smoothed), happy=pct(probs[HAPPY]), neutral=pct(probs[NEUTRAL]),
        disgust=pct(probs[DISGUST]), top=emotion_name(lang, top), top_pct=pct(probs[top]))
