"""Every one of the 13 emotions is the reading of some realistic text (the shipped model, int8 and float32)."""

from __future__ import annotations

import pytest

from apps.emotion import api

# One plain text per emotion, as people write them; none is taken from the training data. The tweets'
# "empty" is mostly idle, blank-minded posts ("Now I'm up n bored"), not the feeling of emptiness, and
# GoEmotions has no counterpart: the model reads it, next to boredom, in short idle texts.
SENTENCES = {
    "anger": "I am so angry at them, this is outrageous and I want to scream.",
    "boredom": "I am bored",
    "empty": "bored and nothing to do",
    "enthusiasm": "so excited, can't wait!",
    "fun": "Haha that was hilarious, we had so much fun at the party lol",
    "happiness": "I'm so happy today, everything went right!",
    "hate": "I hate Mondays so much. Ugh.",
    "love": "I love you so much, you mean the world to me.",
    "neutral": "The meeting is moved to 3pm on Thursday.",
    "relief": "Phew, the test results came back clear. What a relief.",
    "sadness": "My dog died this morning and I can't stop crying.",
    "surprise": "Wow, I did not expect that at all! What a surprise.",
    "worry": "I'm worried about my exam tomorrow, I don't think I'm ready.",
}


def test_the_sentences_cover_the_13():
    assert set(SENTENCES) == set(api.EMOTIONS)


@pytest.mark.parametrize("emotion", sorted(SENTENCES))
def test_each_emotion_is_reachable(quantization, emotion):
    assert api.predict(SENTENCES[emotion], with_words=False).top_emotion == emotion
    assert api.quantization() == quantization
