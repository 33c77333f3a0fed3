"""Hand-written text for what the real pools lack: sports and teaching requests, side conversation
(false wakes), guided questions, and the assistant's responses.

`{team}`-style fields mark slots; the slot type each becomes is in TEMPLATE_SLOT_TYPES.
"""

from __future__ import annotations

# Requests the three corpora do not cover. Intents follow the HWU64 `scenario_action` style, the one
# vocabulary of every simulated log (corpora.py).
TEMPLATE_REQUESTS: dict[str, tuple[str, ...]] = {
    "sports_query": (
        "how did {team} do last night",
        "what's the score of {team} game",
        "when do {team} play next",
        "did {team} win",
        "tell me the score of {team} game",
        "who won {team} game",
        "what's the score of the game",
        "did we win last night",
        "when's the next game",
        "how did my team do",
    ),
    "sports_watch": (
        "put on {team} game",
        "play {team} game",
        "turn on {team} game",
        "play the game",
        "put the game on",
        "i want to watch the game",
    ),
    "preference_teach": (
        "i'm a fan of {team}",
        "my favorite team is {team}",
        "i root for {team}",
        "i live in {city}",
        "my home is {city}",
        "remember that i live in {city}",
        "i really like {cuisine} food",
        "my favorite food is {cuisine}",
        "i love {genre} music",
        "my favorite music is {genre}",
    ),
    "preference_learn": (
        "learn my preferences",
        "can you learn what i like",
        "i want to teach you my preferences",
        "set up my preferences",
        "get to know me",
    ),
}

# Answers to the guided questions, by what is asked.
ANSWERS: dict[str, tuple[str, ...]] = {
    "team": ("{team}", "i follow {team}", "{team} of course", "definitely {team}"),
    "city": ("{city}", "i live in {city}", "we're in {city}"),
    "cuisine": ("{cuisine}", "i like {cuisine}", "{cuisine} food mostly"),
    "genre": ("{genre}", "mostly {genre}", "i listen to {genre}"),
}

QUESTIONS: dict[str, str] = {
    "team": "Which sports team do you follow?",
    "city": "Which city do you live in?",
    "cuisine": "What kind of food do you like?",
    "genre": "What music do you like?",
}

TEMPLATE_SLOT_TYPES: dict[str, str] = {
    "team": "sport_team",
    "city": "place_name",
    "cuisine": "food_type",
    "genre": "music_genre",
}

# Speech not meant for the device: what a wake word detector hears in a kitchen.
SIDE_SPEECH: tuple[str, ...] = (
    "did you feed the dog",
    "honey where are my keys",
    "i told him we'd be there by six",
    "no i said the blue one",
    "can you pass me the salt",
    "are you coming to dinner",
    "we need to leave in ten minutes",
    "hold on i'm on the phone",
    "she's going to call back later",
    "don't forget your lunch",
    "turn that down a bit will you",
    "who left the door open",
    "i think it's going to rain",
    "what did you say",
    "alex can you come here",
    "alexis dinner's ready",
    "let's go to the park after lunch",
    "that movie was so long",
    "i'll be right back",
    "put your shoes on",
    "where did i put my phone",
    "mom can i have a cookie",
    "okay see you tomorrow",
    "it was great talking to you",
    "play nice with your sister",
)

# The assistant's answers, by intent where a domain's intents answer differently, else by domain.
# `{v}` is the main slot's value as the assistant resolved it, `{n}` a number, `{h}` an hour.
INTENT_RESPONSES: dict[str, tuple[str, ...]] = {
    "email_query": ("You have {n} new emails.", "Here are your emails from {v}."),
    "email_sendemail": ("Okay, I sent the email to {v}.", "Your email is on its way."),
    "email_querycontact": ("Here are the details for {v}.",),
    "email_addcontact": ("I added {v} to your contacts.",),
    "calendar_query": ("Here's your calendar for {v}.", "You have {n} events coming up."),
    "calendar_set": ("Okay, I added {v} to your calendar.", "Done, it's on your calendar."),
    "calendar_remove": ("Okay, I removed {v} from your calendar.",),
    "alarm_query": ("You have an alarm at {h} am.",),
    "alarm_set": ("Your alarm is set for {v}.", "Okay, alarm for {v}."),
    "alarm_remove": ("Okay, I cancelled the alarm.",),
    "lists_query": ("Here's your {v} list.",),
    "lists_createoradd": ("I added it to your {v} list.",),
    "lists_remove": ("Done, I removed it from your {v} list.",),
    "audio_volume_up": ("Turning it up.",),
    "audio_volume_down": ("Turning it down.",),
    "audio_volume_mute": ("Muted.",),
    "iot_hue_lightoff": ("Turning off the lights.",),
    "iot_hue_lighton": ("Turning on the lights.",),
    "iot_hue_lightdim": ("Dimming the lights.",),
    "iot_hue_lightup": ("Brightening the lights.",),
    "iot_hue_lightchange": ("Changing the lights to {v}.",),
    "iot_wemo_on": ("Turning on {v}.",),
    "iot_wemo_off": ("Turning off {v}.",),
    "iot_cleaning": ("Starting {v}.",),
    "iot_coffee": ("Making your coffee.",),
    "general_joke": ("Why did the scarecrow win an award? He was outstanding in his field.",),
    "general_quirky": ("Ha, I like that.", "I'm glad you asked."),
    "datetime_query": ("It's {h}:15.",),
    "datetime_convert": ("That's {h} o'clock there.",),
    "qa_factoid": ("Here's what I know about {v}.", "The answer is {n}."),
    "qa_definition": ("{v} means something pleasant or agreeable.",),
    "qa_currency": ("One {v} is {n} cents.",),
    "qa_maths": ("The answer is {n}.",),
    "qa_stock": ("{v} is trading at {n} dollars.",),
    "music_likeness": ("Okay, I'll remember you like {v}.",),
    "music_query": ("This is {v}.",),
    "music_settings": ("Shuffle is on.",),
    "social_post": ("Posted.",),
    "social_query": ("Here's what {v} shared.",),
    "transport_query": ("The next train to {v} leaves at {h}:40.",),
    "transport_ticket": ("I booked your ticket to {v}.",),
    "transport_taxi": ("A taxi is on its way.",),
    "transport_traffic": ("Traffic to {v} is light.",),
    "takeaway_order": ("Your order from {v} is on its way.",),
    "takeaway_query": ("{v} delivers until {h} pm.",),
    "recommendation_events": ("Here are some events near {v}.",),
    "recommendation_locations": ("There's a great place near {v}.",),
    "recommendation_movies": ("You might like {v}.",),
    "music_addtoplaylist": ("I added {v} to your playlist.",),
    "books_rate": ("Rating saved for {v}.",),
    "movies_query": ("{v} is showing at {h} pm nearby.",),
    "sports_query": ("The {v} won by {n} points.", "The {v} play tomorrow at {h} pm."),
    "sports_watch": ("Here's the {v} game.",),
}
SUCCESS_RESPONSES: dict[str, tuple[str, ...]] = {
    "music": ("Playing {v}.", "Here's {v}."),
    "weather": (
        "In {v} it's {n} degrees and cloudy.",
        "Right now in {v}: {n} degrees and sunny.",
        "Expect a high of {n} in {v} today.",
    ),
    "restaurant": ("I booked a table at {v}.", "Your table at {v} is reserved."),
    "media": ("Here's what I found for {v}.", "{v} is available now."),
    "cooking": ("Here's a recipe for {v}.",),
    "news": ("Here's the latest news on {v}.", "Here are today's headlines."),
    "audiobook": ("Resuming {v}.", "Playing the audiobook {v}."),
    "podcasts": ("Playing the latest episode of {v}.",),
    "radio": ("Tuning in to {v}.",),
    "games": ("Starting {v}.", "Let's play {v}."),
    "preference": ("Got it, I'll remember that.",),
    "video": ("Playing the video {v}.", "Here's a video of {v}."),
}

# The right reading, the wrong answer.
RESULT_FAILURES: tuple[tuple[str, str], ...] = (
    ("SUCCESS", "Here's what I found on the web."),
    ("SUCCESS", "I'm not sure how to help with that."),
    ("SUCCESS", "Here's something you might like."),
    ("ERROR", "Sorry, something went wrong. Please try again later."),
    ("ERROR", "Sorry, I'm having trouble right now."),
)

# A request nobody could fulfil, answered correctly.
UNFULFILLABLE: tuple[str, ...] = (
    "Sorry, I couldn't find {v}.",
    "Sorry, {v} isn't available right now.",
    "There's nothing on for {v} right now.",
)

NO_MATCH: tuple[str, ...] = (
    "Sorry, I didn't catch that.",
    "Sorry, I'm not sure what you mean.",
    "I didn't understand that.",
)
NOT_FOUND: tuple[str, ...] = ("Sorry, I couldn't find {v}.", "I don't know {v}.")
FALSE_WAKE_ANSWERS: tuple[tuple[str, str, str], ...] = (
    ("qa", "qa_factoid", "Here's what I found on the web."),
    ("general", "general_quirky", "Hmm, I don't know that one."),
    ("music", "play_music", "Playing music."),
)
TEACH_CONFIRM = ("Got it, I'll remember {v}.", "Okay, I'll remember {v}.")
LEARN_DONE = "Thanks, I'll use these from now on."
LEARN_START = "Sure, a few quick questions."
ACKS = ("You're welcome.", "Happy to help.", "Anytime.")
SORRY = ("Sorry about that.", "Sorry, let's try again.")
